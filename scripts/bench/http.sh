#!/usr/bin/env bash
# HTTP server benchmark: wrk on loopback (keep-alive, 2 threads, 64 connections) against Telewall's
# GET /healthz and a 4 KiB static file, and against nginx serving the same file in the same run.
# Prints requests/s and p99 for each, and Telewall's share of nginx's requests/s.
#   scripts/bench/http.sh [seconds-per-run]   (default 10; loopback only, every run bounded by -d)
set -euo pipefail
cd "$(dirname "$0")/../.."
duration="${1:-10}"
scripts/install-deps.sh
source scripts/bench/http_load.sh
swift build -c release --product telewall >/dev/null

work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; [[ -f $work/nginx.pid ]] && kill "$(cat $work/nginx.pid)" 2>/dev/null; rm -rf "$work"' EXIT
cp -r Public "$work/public"
head -c 4096 /dev/urandom | base64 -w 76 | head -c 4096 > "$work/public/bench-4k.txt"
tw_port=18480; nginx_port=18481

TELEWALL_PUBLIC_DIR="$work/public" .build/release/telewall serve --data "$work/data" --log-level warning \
    --http "127.0.0.1:$tw_port" --statsd 127.0.0.1:18482 --graphite 127.0.0.1:18483 &
start_nginx "$work" "$nginx_port" "$work/public"
for port in $tw_port $nginx_port; do
    wait_for "http://127.0.0.1:$port/bench-4k.txt"
    curl -sf "http://127.0.0.1:$port/bench-4k.txt" | cmp -s - "$work/public/bench-4k.txt" \
        || { echo "127.0.0.1:$port does not serve the 4 KiB file" >&2; exit 1; }
done

# Sets rps and p99 from wrk's "Requests/sec: N" and, with --latency, "99%  X.XXms", after a 2 s warm-up of the
# same load, not counted. In this shell, not a subshell, so that a failed run stops the script.
measure() {  # url
    wrk -t2 -c64 -d2s "$1" >/dev/null
    local out; out=$(wrk -t2 -c64 -d"${duration}s" --latency "$1")
    require_2xx "$1" "$out"
    rps=$(awk '/^Requests\/sec/ {print $2}' <<<"$out")
    p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
}

measure "http://127.0.0.1:$tw_port/healthz"; tw_health_rps=$rps tw_health_p99=$p99
measure "http://127.0.0.1:$tw_port/bench-4k.txt"; tw_file_rps=$rps tw_file_p99=$p99
measure "http://127.0.0.1:$nginx_port/bench-4k.txt"; ng_file_rps=$rps ng_file_p99=$p99

printf '%-28s %14s %10s\n' "target" "requests/s" "p99 ms"
printf '%-28s %14.0f %10.3f\n' "telewall GET /healthz" "$tw_health_rps" "$(to_ms "$tw_health_p99")"
printf '%-28s %14.0f %10.3f\n' "telewall GET 4 KiB file" "$tw_file_rps" "$(to_ms "$tw_file_p99")"
printf '%-28s %14.0f %10.3f\n' "nginx GET 4 KiB file" "$ng_file_rps" "$(to_ms "$ng_file_p99")"
awk -v a="$tw_file_rps" -v b="$ng_file_rps" 'BEGIN { printf "ratio telewall/nginx on the 4 KiB file: %.2f (goal >= 0.50)\n", a/b }'
