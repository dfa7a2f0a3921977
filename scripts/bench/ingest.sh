#!/usr/bin/env bash
# StatsD UDP ingest benchmark on loopback, with ../shared/bench (the C load generator, the C sink and run.py):
# the highest loss-free rate (kernel drop counters and the server's own line count must agree) for 1-line and
# 20-line datagrams over 10,000 keys spread across 100 tenants, with flushing to disk running, for
#   sink      the reference receiver: what this machine can take
#   telewall  this project (release build), 100 accounts, one ingest token each
#   collectd  collectd's StatsD plugin (Debian collectd-core)
# then the ratios. Server on CPU 0, generator on CPU 1 (run.py's default pinning).
#   scripts/bench/ingest.sh [REPS] [STEPS]     (defaults 1 and 6; every trial bounded by run.py)
set -euo pipefail
cd "$(dirname "$0")/../.."
reps="${1:-1}"; steps="${2:-6}"
shared=../shared/bench
[[ -f $shared/run.py ]] || { echo "needs ../shared/bench beside the repository" >&2; exit 1; }
command -v collectd >/dev/null || {
    sudo=""; [[ $(id -u) -ne 0 ]] && sudo=sudo
    $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq collectd-core >/dev/null
}
out=.build-bench
mkdir -p "$out"
cc -O2 -o "$out/loadgen" "$shared/loadgen.c"
cc -O2 -o "$out/sink" "$shared/sink.c"
swift build -c release --product telewall >/dev/null
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
results="$work/results"

# 100 tenants: one account each; their first token is the metric prefix.
data="$work/telewall"
: > "$work/tokens.txt"
for i in $(seq 1 100); do
    .build/release/telewall account create --data "$data" --log-level warning --email "bench$i@example.com" --password "bench-password-$i" \
        | awk '/ingest token/ {print $NF "."}' >> "$work/tokens.txt"
done
rcvbuf=33554432
cat > "$work/collectd.conf" <<CONF
Interval 10
LoadPlugin statsd
<Plugin statsd>
  Host "127.0.0.1"
  Port "18127"
</Plugin>
CONF

run() { python3 "$shared/run.py" --loadgen "$out/loadgen" --out "$results" --reps "$reps" --steps "$steps" --names 100 \
            --prefix-file "$work/tokens.txt" "$@" | tail -1; }
for lpp in 1 20; do
    run --name sink --port 18125 --lpp "$lpp" --cmd "$out/sink -p 18125 -r $rcvbuf -q"
    run --name telewall --port 18126 --lpp "$lpp" \
        --cmd "env TELEWALL_UDP_RECEIVE_BUFFER=$rcvbuf .build/release/telewall serve --data $data --log-level warning --http 127.0.0.1:18180 --statsd 127.0.0.1:18126 --graphite 127.0.0.1:18103" \
        --count-cmd "curl -s 127.0.0.1:18180/metrics | awk '/^telewall_statsd_lines_total/ {print \$2}'"
    run --name collectd --port 18127 --lpp "$lpp" --cmd "collectd -f -C $work/collectd.conf"
done

python3 - "$results/summary.jsonl" "$rcvbuf" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
best = {(r["name"], r["lpp"]): r for r in rows}
print(f"\nloss-free StatsD lines/s, 10,000 keys over 100 tenants (receive buffer requested: {int(sys.argv[2]):,} bytes)")
print(f"{'':10} {'1 line/datagram':>18} {'20 lines/datagram':>20}")
for name in ("sink", "telewall", "collectd"):
    print(f"{name:10} {best[(name, 1)]['median_lines_s']:>18,} {best[(name, 20)]['median_lines_s']:>20,}")
t1, t20 = best[("telewall", 1)]["median_lines_s"], best[("telewall", 20)]["median_lines_s"]
print(f"telewall / sink:     1-line {t1 / max(1, best[('sink', 1)]['median_lines_s']):.2f} (goal >= 0.80 of the packet rate)")
print(f"telewall / collectd: 20-line {t20 / max(1, best[('collectd', 20)]['median_lines_s']):.2f} (goal >= 3); 20-line rate goal >= 2,000,000")
PY
