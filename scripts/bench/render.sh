#!/usr/bin/env bash
# Read-side benchmark: wrk on loopback (2 threads, 32 connections, keep-alive) against Telewall and, in the same
# run, graphite-render under gunicorn with 2 workers serving the same Whisper files, for
#   one series over 1 h; one series over 24 h; sumSeries over 100 series for 1 h; /metrics/find with 100 nodes;
# and, beyond the issue's four, one series of rates (values with a fraction, as counters' `.rate` has) over 24 h
# and one of timer means (quotients of 15 to 17 digits) over 24 h.
# Prints requests/s and p50/p99 for both and the ratios, then p50/p90/p99 of the single-series queries at half load
# (Telewall in several rounds),
# beside nginx sending the 24 h answer's bytes as a file at that load (the machine's floor), and at half its own
# saturated rate.
#   scripts/bench/render.sh [seconds-per-run] [half-load-rounds]
set -euo pipefail
cd "$(dirname "$0")/../.."
duration="${1:-8}"
half_rounds="${2:-3}"
source scripts/bench/http_load.sh
python3 -c "import graphite_render, gunicorn" 2>/dev/null || python3 -m pip install -q graphite-render gunicorn
swift build -c release --product telewall >/dev/null
work=$(mktemp -d)
tw_port=18580; gr_port=18581; nginx_port=18584
trap 'kill $(jobs -p) 2>/dev/null; [[ -f $work/nginx.pid ]] && kill "$(cat $work/nginx.pid)" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT

.build/release/telewall serve --data "$work/data" --log-level warning --http "127.0.0.1:$tw_port" \
    --statsd 127.0.0.1:18582 --graphite 127.0.0.1:18583 &
tw_pid=$!
wait_for "127.0.0.1:$tw_port/healthz"
cookie=$(sign_up "127.0.0.1:$tw_port" bench@example.com)
key=$(issue "127.0.0.1:$tw_port" "$cookie" keys)
tenant=$(curl -s -H "Cookie: $cookie" "127.0.0.1:$tw_port/api/v1/me" | python3 -c 'import json,sys; print(json.load(sys.stdin)["tenant"]["id"])')
root="$work/data/whisper/$tenant"
python3 - "$root" <<'PY'
import os, sys, time, whisper
root = sys.argv[1]
now = int(time.time())
os.makedirs(os.path.join(root, "bench"), exist_ok=True)
for i in range(100):
    path = os.path.join(root, "bench", f"s{i}.wsp")
    whisper.create(path, [(10, 8640), (60, 10080), (600, 262974)], xFilesFactor=0.3, sparse=True)
    whisper.update_many(path, [(now - 10 * k, float((i * 7 + k) % 100)) for k in range(8640)])
# Rates (a counter's count / 10 s) have a fraction: they take the float writer's other path.
os.makedirs(os.path.join(root, "rates"), exist_ok=True)
path = os.path.join(root, "rates", "r1.wsp")
whisper.create(path, [(10, 8640), (60, 10080), (600, 262974)], xFilesFactor=0.3, sparse=True)
whisper.update_many(path, [(now - 10 * k, (k * 37 % 1000) / 10) for k in range(8640)])
# Timers' means are quotients that need 15 to 17 digits: the float writer's exact path.
os.makedirs(os.path.join(root, "timers"), exist_ok=True)
path = os.path.join(root, "timers", "mean.wsp")
whisper.create(path, [(10, 8640), (60, 10080), (600, 262974)], xFilesFactor=0.3, sparse=True)
whisper.update_many(path, [(now - 10 * k, (k * 7919 % 100000) / 7.3) for k in range(8640)])
PY
cat > "$work/graphite.yaml" <<CONF
search_index: $work/index
finders:
  - graphite_render.finders.whisper.WhisperFinder
functions:
  - graphite_render.functions.SeriesFunctions
whisper:
  directories:
    - $root
time_zone: UTC
CONF
GRAPHITE_API_CONFIG="$work/graphite.yaml" python3 -m gunicorn -w 2 -b "127.0.0.1:$gr_port" graphite_render.app:app --log-level warning >"$work/graphite.log" 2>&1 &
wait_for "127.0.0.1:$gr_port/metrics/find?query=*"

# wrk with 32 connections; when PAUSE_MS is set, each connection pauses a random 0..2x PAUSE_MS ms after every
# answer (random, so that the connections do not fall into step and arrive as bursts of 32).
pace="$work/pace.lua"
cat > "$pace" <<'LUA'
local pause = tonumber(os.getenv("PAUSE_MS"))
function setup(thread) thread:set("seed", math.random(1, 1e9)) end
function init() math.randomseed(seed) end
function delay() return math.floor(math.random() * 2 * pause + 0.5) end
LUA
# Sets rps, p50, p90 and p99 (in ms), busy and steal (shares of the machine's CPU time during the run, in percent:
# not idle, and taken by the hypervisor for other guests) and tw_ticks
# (Telewall's CPU time during the run, in clock ticks); in this shell, not a subshell, so that any non-2xx answer
# stops the run: a server answering errors measures nothing.
measure() {  # url [header]
    local out stat_before ticks_before
    wait_until_quiet
    stat_before=$(head -1 /proc/stat) ticks_before=$(cpu_ticks)
    out=$(wrk -t2 -c32 -d"${duration}s" --latency ${PAUSE_MS:+-s "$pace"} ${2:+-H "$2"} "$1")
    require_2xx "$1" "$out"
    read -r rps p50 p90 p99 < <(awk '/^Requests\/sec/ {rps=$2} $1 == "50%" {p50=$2} $1 == "90%" {p90=$2} $1 == "99%" {p99=$2}
        END {print rps, p50, p90, p99}' <<<"$out")
    p50=$(to_ms "$p50") p90=$(to_ms "$p90") p99=$(to_ms "$p99")
    read -r busy steal < <(cpu_shares_since "$stat_before")
    tw_ticks=$(($(cpu_ticks) - ticks_before))
}
# Waits (at most 10 s) until the machine is under 10% busy over half a second. When wrk stops, gunicorn's workers
# still render the requests already sent to them, for a second or more: without the wait, that work lands in the
# next run, which is always Telewall's.
wait_until_quiet() {
    local stat_before
    for _ in $(seq 20); do
        stat_before=$(head -1 /proc/stat)
        sleep 0.5
        (( $(cpu_shares_since "$stat_before" | cut -d' ' -f1) < 10 )) && return
    done
}
# Telewall's CPU time in clock ticks (user + system, all threads), to report CPU per request.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$tw_pid/stat"; }
per_request_us() { awk -v t="$1" -v r="$2" -v d="$duration" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.0f", t / hz * 1e6 / (r * d) }'; }
# The shares of all CPUs' time since the /proc/stat `cpu` line given, in percent: busy (not idle: servers and load
# generator together, stolen time included) and steal (time the hypervisor gave to other guests: a run with much
# of it measured a machine slower than it looks).
cpu_shares_since() {
    awk -v before="$1" 'NR == 1 { split(before, b, " "); total = 0
        for (i = 2; i <= NF; i++) total += $i - b[i]
        printf "%.0f %.1f\n", 100 * (total - ($5 - b[5]) - ($6 - b[6])) / total, 100 * ($9 - b[9]) / total }' /proc/stat
}

# Both must give the same answer before their speeds mean anything: the same series (or nodes), each with as many
# points. A reference answering [] or an error quickly would flatter itself.
same_answers() {  # query
    python3 - "http://127.0.0.1:$tw_port/$1" "http://127.0.0.1:$gr_port/$1" "$key" <<'PY'
import json, sys, time, urllib.request
def shape(url, headers):
    answer = json.load(urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=60))
    return sorted((a.get("target") or a.get("id"), len(a.get("datapoints", []))) for a in answer)
# A 24 h query asks for exactly the finest archive's retention, and graphite-render reads "now" twice (for `from`,
# then in whisper's fetch): across a second's turn it takes the next archive. So a second try, a second later.
for attempt in range(3):
    ours, theirs = shape(sys.argv[1], {"Authorization": "Bearer " + sys.argv[3]}), shape(sys.argv[2], {})
    if ours == theirs and ours:
        sys.exit(0)
    time.sleep(1)
sys.exit(f"{sys.argv[1]}: Telewall and Graphite differ: {ours[:3]} against {theirs[:3]}")
PY
}
# A query's label: its path without the parts every render query shares.
label() { local l=${1#render?target=}; echo "${l%&format=json}"; }
printf '%-28s %12s %9s %9s %8s   %12s %9s %9s   %8s\n' query "telewall r/s" "p50 ms" "p99 ms" "cpu us" "graphite r/s" "p50 ms" "p99 ms" ratio
single_queries=("render?target=bench.s1&from=-1h&format=json" "render?target=bench.s1&from=-24h&format=json")
saturated_tw=(); saturated_gr=()
for q in "${single_queries[@]}" \
         "render?target=sumSeries(bench.*)&from=-1h&format=json" "metrics/find?query=bench.*" \
         "render?target=rates.r1&from=-24h&format=json" "render?target=timers.mean&from=-24h&format=json"; do
    same_answers "$q"
    measure "http://127.0.0.1:$tw_port/$q" "Authorization: Bearer $key"; t_rps=$rps t50=$p50 t99=$p99
    cpu=$(per_request_us "$tw_ticks" "$t_rps")
    measure "http://127.0.0.1:$gr_port/$q"
    saturated_tw+=("$t_rps"); saturated_gr+=("$rps")
    printf '%-28s %12.0f %9.3f %9.3f %8s   %12.0f %9.3f %9.3f   %7.1fx\n' "$(label "$q")" "$t_rps" "$t50" "$t99" "$cpu" \
        "$rps" "$p50" "$p99" "$(awk -v a="$t_rps" -v b="$rps" 'BEGIN { print a / b }')"
done
echo "(goals: at least 30x Graphite's requests/s on each query; p99 under 2 ms for the single-series queries)"
echo "(cpu us: Telewall's CPU time, all threads, per request answered; less noisy than requests/s on a shared machine)"
# At 32 connections each server is saturated, so its mean latency is 32 / throughput (Little's law): p99 there
# measures the queue the benchmark chose, not a request. So latency is measured again at half load: the same 32
# connections pace themselves so that each server is offered about half the requests/s it reached above (a pause
# averaging 2 x 32 / requests/s). wrk times each request from its write, after the pause.
# One 8 s run's p99 moves by a few tenths of a millisecond from run to run on this machine, so Telewall's rows
# are measured in several rounds, each printed.
echo
echo "at half load: the same 32 connections, paced to about half each server's requests/s above; Telewall in $half_rounds rounds"
printf '%-28s %-9s %12s %9s %9s %9s %7s %8s %9s %9s\n' query server "r/s" "p50 ms" "p90 ms" "p99 ms" "busy %" "steal %" \
    "in p99<=" ">2 ms %"
half_load_pause() { awk -v r="$1" 'BEGIN { printf "%.3f", 2 * 32 * 1000 / r }'; }
half_load_row() {  # query server saturated-rps url [header]
    local before="" inside=""
    [[ $2 == telewall ]] && before=$(render_buckets)
    PAUSE_MS=$(half_load_pause "$3") measure "$4" "${5:-}"
    [[ $2 == telewall ]] && inside=$(server_side_since "$before")
    printf '%-28s %-9s %12.0f %9.3f %9.3f %9.3f %7s %8s %s\n' "$(label "$1")" "$2" "$rps" "$p50" "$p90" "$p99" "$busy" "$steal" "$inside"
}
# Telewall's own histogram of its renders (arrival in the kernel to answer handed to the socket), from /metrics:
# a line "bound cumulative-count" per bucket.
render_buckets() {
    curl -sf "127.0.0.1:$tw_port/metrics" | awk -F'[{} ]' '/^telewall_http_request_duration_seconds_bucket/ && /route="GET \/render"/ {
        match($2, /le="[^"]+"/); print substr($2, RSTART + 4, RLENGTH - 5), $NF }'
}
# From the buckets given to now: the smallest bound within which 99% of the requests were answered inside
# Telewall, and the share of them over 2 ms.
server_side_since() {
    awk 'NR == FNR { before[$1] = $2; next } { n[++k] = $1; c[k] = $2 - before[$1] }
        END { total = c[k]; for (i = 1; i <= k; i++) if (c[i] >= 0.99 * total) { p99 = n[i]; break }
              for (i = 1; i <= k; i++) if (n[i] == "0.002") within = c[i]
              printf "%9s %9.2f", (p99 == "+Inf" ? ">10000" : p99 * 1000), 100 * (total - within) / total }' \
        <(echo "$1") <(render_buckets)
}
for i in 0 1; do
    q=${single_queries[$i]}
    for _ in $(seq "$half_rounds"); do
        half_load_row "$q" telewall "${saturated_tw[$i]}" "http://127.0.0.1:$tw_port/$q" "Authorization: Bearer $key"
    done
    half_load_row "$q" graphite "${saturated_gr[$i]}" "http://127.0.0.1:$gr_port/$q"
done
# The machine's own floor at that load: nginx sending the 24 h answer's very bytes as a file, paced as Telewall was.
mkdir -p "$work/static"
curl -sf -H "Authorization: Bearer $key" -o "$work/static/24h.json" "http://127.0.0.1:$tw_port/${single_queries[1]}"
start_nginx "$work" "$nginx_port" "$work/static"
wait_for "http://127.0.0.1:$nginx_port/24h.json"
half_load_row 24h.json nginx "${saturated_tw[1]}" "http://127.0.0.1:$nginx_port/24h.json"
# And nginx at its own half load, the pacing Telewall's rows had applied to a server that spends next to nothing on
# an answer: what this definition of half load leaves any server on this machine.
measure "http://127.0.0.1:$nginx_port/24h.json"
nginx_saturated=$rps
for _ in 1 2; do
    half_load_row 24h.json nginx-own "$nginx_saturated" "http://127.0.0.1:$nginx_port/24h.json"
done
echo "(nginx: the 24 h answer's bytes as a file, paced as Telewall was: the floor for an answer that size here;"
printf ' nginx-own: paced to half its own %.0f requests/s saturated, twice)\n' "$nginx_saturated"
echo "(in p99<=: the bound of Telewall's own duration histogram (/metrics, from the request's arrival in the kernel,"
echo " so the wait for its loop included, to its answer handed to the socket) within which 99% of its answers were;"
echo " >2 ms %: its share of answers over 2 ms. What wrk's p99 adds to it is the client's own queueing and its wait"
echo " for a CPU to read the answer)"
echo "(busy %: all CPUs' time not idle during that server's run, the load generator's included; steal %: the part"
echo " of all CPUs' time the hypervisor gave to other guests, which no server here controls)"
