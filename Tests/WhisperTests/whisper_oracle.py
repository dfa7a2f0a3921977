"""Runs a script of operations through Python's `whisper` module, the reference implementation.

Reads JSON from stdin: {"path", "create": {...} or null, "ops": [...]}; writes one JSON result per op.
Values go out as float.hex() strings so that the comparison is bit for bit.
"""

import json
import sys

import whisper


def hexed(values):
    return [None if v is None else float(v).hex() for v in values]


def main():
    job = json.load(sys.stdin)
    path = job["path"]
    if job.get("create"):
        c = job["create"]
        whisper.create(path, [tuple(a) for a in c["archives"]], xFilesFactor=c["xff"],
                       aggregationMethod=c["method"], sparse=c.get("sparse", True))
    results = []
    for op in job["ops"]:
        kind = op["op"]
        if kind == "update_many":
            whisper.update_many(path, [(t, float(v)) for t, v in op["points"]], now=op["now"])
            results.append("ok")
        elif kind == "update":
            try:
                whisper.update(path, float(op["v"]), op["t"], now=op["now"])
                results.append("ok")
            except whisper.TimestampNotCovered:
                results.append("not covered")
        elif kind == "fetch":
            try:
                got = whisper.fetch(path, op["from"], op["until"], now=op["now"])
            except whisper.InvalidTimeInterval:
                results.append("invalid interval")
                continue
            results.append(None if got is None else [list(got[0]), hexed(got[1])])
        elif kind == "info":
            info = whisper.info(path)
            results.append({"aggregationMethod": info["aggregationMethod"], "maxRetention": info["maxRetention"],
                            "xFilesFactor": float(info["xFilesFactor"]).hex(),
                            "archives": [[a["offset"], a["secondsPerPoint"], a["points"]] for a in info["archives"]]})
        else:
            raise ValueError(kind)
    json.dump(results, sys.stdout)


main()
