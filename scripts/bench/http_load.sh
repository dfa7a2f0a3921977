# Sourced by the HTTP benchmarks and checks (http.sh, render.sh, check-promql.sh): what they share. Installs wrk and
# nginx when missing.
command -v wrk >/dev/null && command -v nginx >/dev/null || {
    sudo=""; [[ $(id -u) -ne 0 ]] && sudo=sudo
    $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq wrk nginx-light >/dev/null
}

# start_nginx WORK PORT ROOT: nginx (2 workers, sendfile, keep-alive) serving ROOT on 127.0.0.1:PORT, its files
# under WORK; WORK/nginx.pid names it for the caller's exit trap. Started as root, its workers run as nobody: WORK
# (mktemp's, mode 700) and ROOT are opened to them, or every answer is a 403.
start_nginx() {
    local work=$1 port=$2 root=$3
    chmod o+rx "$work"
    chmod -R o+rX "$root"
    cat > "$work/nginx.conf" <<CONF
worker_processes 2;
pid $work/nginx.pid;
error_log $work/nginx-error.log;
events { worker_connections 4096; }
http {
    access_log off;
    sendfile on;
    keepalive_requests 1000000;
    open_file_cache max=1000 inactive=60s;
    types { text/plain txt; application/json json; }
    client_body_temp_path $work/nginx-tmp;
    proxy_temp_path $work/nginx-tmp;
    fastcgi_temp_path $work/nginx-tmp;
    uwsgi_temp_path $work/nginx-tmp;
    scgi_temp_path $work/nginx-tmp;
    server { listen 127.0.0.1:$port; root $root; }
}
CONF
    mkdir -p "$work/nginx-tmp"
    nginx -c "$work/nginx.conf"
}

# sign_up HOST:PORT EMAIL: signs up a new account (password "bench-password") and prints its session cookie.
sign_up() {
    curl -s -D - -o /dev/null -H 'Content-Type: application/json' -d "{\"email\":\"$2\",\"password\":\"bench-password\"}" \
        "$1/api/v1/signup" | awk -F'[ ;]' 'tolower($1) == "set-cookie:" {print $2}'
}

# issue HOST:PORT COOKIE KIND: issues a credential of KIND (keys, tokens) for the session and prints its value.
issue() {
    curl -sf -H "Cookie: $2" -H 'Content-Type: application/json' -d '{"name":"bench"}' "$1/api/v1/$3" \
        | python3 -c 'import json,sys; print(json.load(sys.stdin)["value"])'
}

# wait_for URL: until URL answers a 2xx, for at most 20 s; a server that never does stops the script.
wait_for() {
    for _ in $(seq 200); do curl -sf -o /dev/null "$1" && return; sleep 0.1; done
    echo "$1 never answered" >&2
    exit 1
}

# require_2xx URL WRK-OUTPUT: stops the script when wrk counted any non-2xx answer: a server answering errors
# measures nothing. Call it in the script's own shell, not in $(...), or only a subshell stops.
require_2xx() {
    if grep -q "Non-2xx" <<<"$2"; then echo "$1 answered non-2xx: $(grep Non-2xx <<<"$2")" >&2; exit 1; fi
}

# wrk's latency (`850.00us`, `1.25ms`, `2.01s`) in milliseconds.
to_ms() {
    awk -v v="$1" 'BEGIN { if (v ~ /us$/) { sub(/us$/, "", v); print v / 1000 } else if (v ~ /ms$/) { sub(/ms$/, "", v); print v } else { sub(/s$/, "", v); print v * 1000 } }'
}
