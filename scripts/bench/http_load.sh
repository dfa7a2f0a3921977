# Sourced by the benchmarks. start_nginx WORK PORT ROOT: nginx (2 workers, sendfile, keep-alive) serving ROOT on
# 127.0.0.1:PORT, its files under WORK; WORK/nginx.pid names it for the caller's exit trap. Started as root, its
# workers run as nobody: WORK (mktemp's, mode 700) and ROOT are opened to them, or every answer is a 403.
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
