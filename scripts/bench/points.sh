#!/usr/bin/env bash
# The render JSON's point writer on its own: Sources/App/ByteWriter.swift and ShortestDecimal.swift compiled as
# the release build compiles them (-O, whole module) with a small driver, against Python's json module (its C
# encoder, as graphite-render uses) writing the same 8,640 points ([value,timestamp], no spaces) in the same run.
# Three kinds of values: whole numbers (gauges, counts), rates with one decimal, timer means of 15-17 digits.
# Both must write the same bytes before their speeds are compared.
#   scripts/bench/points.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
sed 's/^import HTTP$//' Sources/App/ByteWriter.swift > "$work/ByteWriter.swift"
swiftc -O -wmo -o "$work/points" scripts/bench/points/main.swift scripts/bench/points/stubs.swift \
    "$work/ByteWriter.swift" Sources/App/ShortestDecimal.swift
printf '%-8s %14s %14s %8s\n' values "telewall ns/pt" "python ns/pt" ratio
for kind in whole rates timers; do
    ours=$("$work/points" "$kind" "$work/$kind.json")
    python3 - "$kind" "$work/$kind.json" "$ours" <<'PY'
import json, sys, time
kind, path, ours = sys.argv[1], sys.argv[2], float(sys.argv[3])
start = 1_763_871_000
def value(k):
    if kind == "rates": return (k * 37 % 1000) / 10
    if kind == "timers": return (k * 7919 % 100_000) / 7.3
    return float((7 + k) % 100)
points = [[value(k), start + 10 * k] for k in range(8640)]
expected = json.dumps(points, separators=(",", ":"))
written = "[" + open(path).read() + "]"
if written != expected:
    at = next((i for i, (a, b) in enumerate(zip(written, expected)) if a != b), min(len(written), len(expected)))
    around = slice(max(0, at - 20), at + 20)
    sys.exit(f"{kind}: Telewall and Python's json differ at byte {at}: {written[around]!r} against {expected[around]!r}")
rounds = []
for _ in range(15):
    began = time.perf_counter()
    for _ in range(20):
        json.dumps(points, separators=(",", ":"))
    rounds.append((time.perf_counter() - began) / 20 / len(points) * 1e9)
theirs = min(rounds)
print(f"{kind:8} {ours:14.2f} {theirs:14.2f} {theirs / ours:7.1f}x")
PY
done
echo "(best of 15 rounds each; the same 8,640 points, byte for byte the same JSON)"
