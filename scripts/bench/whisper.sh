#!/usr/bin/env bash
# Storage engine benchmark, Telewall against Python's `whisper` (1.1.10) in the same run:
#   1. flush-shaped writes: SERIES series (default 100,000), one point each every 10 s of simulated time, for
#      60 flushes, through the write-back cache (2 writer threads) until everything is on disk. Python runs
#      whisper.update_many the same way on PY_SERIES series (default 2,000: its rate does not depend on the count).
#   2. fetch of 1 h and 24 h from one file filled with 2 days of 10 s data: p50/p99 for both.
#   3. memory per buffered series and per open series.
#   scripts/bench/whisper.sh [SERIES] [PY_SERIES]
set -euo pipefail
cd "$(dirname "$0")/../.."
series="${1:-100000}"
py_series="${2:-2000}"
python3 -c "import whisper" 2>/dev/null || python3 -m pip install -q whisper==1.1.10
swift build -c release --product telewall-bench >/dev/null
bench=.build/release/telewall-bench
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

field() { awk -v k="$1" '{ for (i = 1; i < NF; i++) if ($i == k) print $(i + 1) }'; }

echo "== flush-shaped writes"
$bench create "$work/tw" "$series"
sync  # the timed writes start with the new files on disk, not with their creation still being written back
tw=$($bench writes "$work/tw" "$series" 60)
py=$(python3 scripts/bench/whisper_reference.py writes "$work/py" "$py_series" 60)
tw_rate=$(field rate <<<"$tw"); py_rate=$(field rate <<<"$py")
# The rate counts only if the writes are all there and right: no errors, and every 997th series read back by
# Python's whisper holds each flush's value (series i, flush k: i % 97 + k, as telewall-bench writes them).
[[ $(field errors <<<"$tw") == 0 ]] || { echo "telewall's writes had errors: $tw" >&2; exit 1; }
python3 - "$work/tw/bench" "$series" <<'PY'
import sys, whisper
root, n, start, flushes = sys.argv[1], int(sys.argv[2]), 1_700_000_000, 60
for i in range(0, n, 997):
    path = f"{root}/stats/counters/app{i % 100}/event{i}/count.wsp"
    (first, _, step), values = whisper.fetch(path, start - 1, start + 10 * (flushes - 1), now=start + 10 * flushes)
    expected = [float(i % 97 + k) for k in range(flushes)]
    if step != 10 or first != start or values != expected:
        sys.exit(f"{path}: read back {(first, step, values[:5])}, expected {(start, 10, expected[:5])}")
PY
printf '%-34s %12s points/s   (%s)\n' "telewall, $series series" "$tw_rate" "$tw"
printf '%-34s %12s points/s   (%s)\n' "python whisper, $py_series series" "$py_rate" "$py"
awk -v a="$tw_rate" -v b="$py_rate" 'BEGIN { printf "ratio telewall/python: %.1f (goals: >= 1,000,000 points/s and >= 30x)\n", a / b }'

echo "== fetch latency, one file, 2 days of 10 s data"
python3 scripts/bench/whisper_reference.py fill "$work/fetch.wsp"
for span in 3600 86400; do
    tw=$($bench fetch "$work/fetch.wsp" "$span" 20000)
    py=$(python3 scripts/bench/whisper_reference.py fetch "$work/fetch.wsp" "$span" 2000)
    printf 'span %5s s  telewall p50 %8s us p99 %8s us   python p50 %8s us p99 %8s us   p99 ratio %s\n' "$span" \
        "$(field p50_us <<<"$tw")" "$(field p99_us <<<"$tw")" "$(field p50_us <<<"$py")" "$(field p99_us <<<"$py")" \
        "$(awk -v a="$(field p99_us <<<"$py")" -v b="$(field p99_us <<<"$tw")" 'BEGIN { printf "%.1fx", a / b }')"
done
echo "(goals: p99 under 100 us for 1 h, at least 10x faster than Python)"

echo "== memory"
$bench memory "$work/tw" "$series"
