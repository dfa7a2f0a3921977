"""Python `whisper` measured on the same workloads as telewall-bench, for scripts/bench/whisper.sh."""

import os
import sys
import time

import whisper

START = 1_700_000_000
ARCHIVES = [(10, 2160), (60, 10080), (600, 262974)]


def series_path(root, i):
    return os.path.join(root, "bench", "stats", "counters", f"app{i % 100}", f"event{i}", "count.wsp")


def writes(root, n, flushes):
    paths = [series_path(root, i) for i in range(n)]
    for p in paths:
        os.makedirs(os.path.dirname(p), exist_ok=True)
        whisper.create(p, ARCHIVES, xFilesFactor=0, aggregationMethod="sum", sparse=True)
    os.sync()  # as for Telewall: the timed writes start with the new files on disk
    t0 = time.perf_counter()
    for k in range(flushes):
        t = START + 10 * k
        for i, p in enumerate(paths):
            whisper.update_many(p, [(t, float(i % 97 + k))], now=t)
    elapsed = time.perf_counter() - t0
    print(f"points {n * flushes} seconds {elapsed:.3f} rate {int(n * flushes / elapsed)}")


def fill(path):
    now = START + 86400 * 2
    whisper.create(path, ARCHIVES, xFilesFactor=0.3, aggregationMethod="average", sparse=True)
    whisper.update_many(path, [(t, float(t % 1000)) for t in range(START, now, 10)], now=now)


def fetch(path, span, count):
    now = START + 86400 * 2
    samples = []
    for _ in range(count):
        t0 = time.perf_counter_ns()
        whisper.fetch(path, now - span, now, now=now)
        samples.append((time.perf_counter_ns() - t0) / 1000)
    samples.sort()
    print(f"p50_us {samples[len(samples) // 2]:.2f} p99_us {samples[min(len(samples) - 1, int(len(samples) * 0.99))]:.2f}")


if __name__ == "__main__":
    command = sys.argv[1]
    if command == "writes":
        writes(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
    elif command == "fill":
        fill(sys.argv[2])
    elif command == "fetch":
        fetch(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
