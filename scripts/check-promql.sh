#!/usr/bin/env bash
# Runs every PromQL expression in deploy/README.md's "Watching it" against a real Prometheus scraping Telewall,
# so the queries the operators' guide gives parse and name series that exist. Prometheus (Debian's) scrapes a
# fresh Telewall on loopback every second while one tenant sends StatsD lines (good, malformed and with an
# unknown token) and reads, finds and misses; then each expression must evaluate without error, and every
# telewall_* name in it must be a series Prometheus holds.
#   scripts/check-promql.sh
set -euo pipefail
cd "$(dirname "$0")/.."
command -v prometheus >/dev/null || {
    sudo=""; [[ $(id -u) -ne 0 ]] && sudo=sudo
    $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends prometheus >/dev/null
}
source scripts/bench/http_load.sh
swift build -c release --product telewall >/dev/null
work=$(mktemp -d)
tw_port=18790; statsd_port=18792; prom_port=18799
trap 'kill $(jobs -p) 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT

.build/release/telewall serve --data "$work/data" --log-level warning --http "127.0.0.1:$tw_port" \
    --statsd "127.0.0.1:$statsd_port" --graphite 127.0.0.1:18793 &
wait_for "127.0.0.1:$tw_port/healthz"
cat > "$work/prometheus.yml" <<CONF
global: {scrape_interval: 1s, evaluation_interval: 1s}
scrape_configs:
  - job_name: telewall
    static_configs: [{targets: ['127.0.0.1:$tw_port']}]
CONF
prometheus --config.file="$work/prometheus.yml" --storage.tsdb.path="$work/tsdb" \
    --web.listen-address="127.0.0.1:$prom_port" >"$work/prometheus.log" 2>&1 &
wait_for "127.0.0.1:$prom_port/-/ready"

cookie=$(sign_up "127.0.0.1:$tw_port" ops@example.com)
token=$(issue "127.0.0.1:$tw_port" "$cookie" tokens) key=$(issue "127.0.0.1:$tw_port" "$cookie" keys)
for i in $(seq 20); do
    printf '%s.app.hits:1|c\n%s.app.latency:%d|ms\n%s.app.broken:x|c\nnotatoken.app.hits:1|c\n' "$token" "$token" "$i" "$token" \
        >"/dev/udp/127.0.0.1/$statsd_port"
    curl -s -o /dev/null -H "Authorization: Bearer $key" "127.0.0.1:$tw_port/render?target=app.*&from=-1h&format=json"
    curl -s -o /dev/null -H "Authorization: Bearer $key" "127.0.0.1:$tw_port/metrics/find?query=*"
    curl -s -o /dev/null "127.0.0.1:$tw_port/no-such-page"
    sleep 0.25
done
sleep 3  # three more scrapes, so that rate() has points on both sides of the traffic

python3 - "127.0.0.1:$prom_port" deploy/README.md <<'PY'
import json, re, sys, urllib.parse, urllib.request
prometheus, guide = sys.argv[1], open(sys.argv[2]).read()
section = guide.split("## Watching it", 1)[1].split("\n## ", 1)[0]
expressions = [e for e in re.findall(r"`([^`]+)`", section) if "telewall_" in e and "(" in e or re.fullmatch(r"telewall_\w+( == \d)?", e)]
def query(expression):
    url = f"http://{prometheus}/api/v1/query?" + urllib.parse.urlencode({"query": expression})
    try:
        return json.load(urllib.request.urlopen(url, timeout=10))
    except urllib.error.HTTPError as error:
        return json.load(error)
failures = []
for expression in expressions:
    answer = query(expression)
    if answer["status"] != "success":
        failures.append(f"{expression}: {answer.get('error')}")
        continue
    missing = [name for name in sorted(set(re.findall(r"telewall_\w+", expression)))
               if not query(f'count({{__name__="{name}"}})')["data"]["result"]]
    failures += [f"{expression}: Prometheus holds no series {name}" for name in missing]
    if not missing:
        print(f"ok  {expression}  -> {len(answer['data']['result'])} series")
if not expressions:
    failures.append("no PromQL found in deploy/README.md's Watching it")
for failure in failures:
    print("FAIL", failure)
sys.exit(1 if failures else 0)
PY
