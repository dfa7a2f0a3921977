"""Starts the real telewall binary on free loopback ports with its own data directory, for end-to-end tests."""

import atexit
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BINARY = os.environ.get("TELEWALL_BIN", os.path.join(ROOT, ".build", "debug", "telewall"))


def free_port(kind=socket.SOCK_STREAM):
    """A port free for both TCP and UDP on 127.0.0.1."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as t, socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
            t.bind(("127.0.0.1", 0))
            port = t.getsockname()[1]
            try:
                u.bind(("127.0.0.1", port))
                return port
            except OSError:
                continue
    raise RuntimeError("no free port")


class Service:
    """One telewall process; `config` is written to a telewall.toml beside its data."""

    def __init__(self, args=(), config=None, data=None, port=None):
        self.args = args
        if data is None:
            data = tempfile.mkdtemp(prefix="telewall-e2e-")
            atexit.register(shutil.rmtree, data, ignore_errors=True)
        self.data = data
        self.log = open(os.path.join(self.data, "telewall.log"), "a")
        # A port found free can be taken by another socket before telewall binds it; telewall then exits saying
        # so, and it starts again on other ports (the HTTP port too, unless the caller chose it).
        for _ in range(3):
            self.port = port or free_port()
            self.statsd_port = free_port()
            self.graphite_port = free_port()
            self.url = f"http://127.0.0.1:{self.port}"
            log_start = self.log.tell()
            self.process = self._spawn(config)
            if self._wait_until_online():
                return
            self.process.kill()
            self.process.wait()
            with open(self.log.name) as f:
                f.seek(log_start)
                said = f.read()
            if "Address already in use" not in said:
                break
        raise RuntimeError("telewall did not start; its log:\n" + said[-2000:])

    def _spawn(self, config):
        command = [BINARY, "serve", "--data", self.data, "--http", f"127.0.0.1:{self.port}",
                   "--statsd", f"127.0.0.1:{self.statsd_port}", "--graphite", f"127.0.0.1:{self.graphite_port}", *self.args]
        if config:
            path = os.path.join(self.data, "telewall.toml")
            with open(path, "w") as f:
                f.write(config)
            command += ["--config", path]
        self.log.flush()
        return subprocess.Popen(command, cwd=ROOT, stdout=self.log, stderr=subprocess.STDOUT)

    def _wait_until_online(self):
        """True once StatsD reports ONLINE; false if the process exits or 30 s pass first."""
        deadline = time.time() + 30
        while time.time() < deadline and self.process.poll() is None:
            try:
                if self.health()["components"]["statsd"]["state"] == "ONLINE":
                    return True
            except (OSError, KeyError, ValueError):
                time.sleep(0.05)
        return False

    def health(self):
        with urllib.request.urlopen(self.url + "/healthz", timeout=2) as r:
            return json.load(r)

    def metrics_text(self):
        with urllib.request.urlopen(self.url + "/metrics", timeout=2) as r:
            return r.read().decode()

    def metrics(self):
        values = {}
        for line in self.metrics_text().splitlines():
            if line and not line.startswith("#"):
                name, value = line.rsplit(" ", 1)
                values[name] = float(value)
        return values

    def request(self, method, path, data=None, headers=None):
        """One request: the status, the body's bytes and the headers, whatever the status."""
        request = urllib.request.Request(self.url + path, data=data, method=method, headers=headers or {})
        try:
            with urllib.request.urlopen(request, timeout=30) as r:
                return r.status, r.read(), r.headers
        except urllib.error.HTTPError as e:
            return e.code, e.read(), e.headers

    def api(self, method, path, body=None, token=None, cookie=None, raw=None):
        """A JSON API call: the status, the decoded answer and the headers."""
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        headers = {}
        if body is not None:
            headers["Content-Type"] = "application/json"
        if token:
            headers["Authorization"] = f"Bearer {token}"
        if cookie:
            headers["Cookie"] = cookie
        status, answer, headers = self.request(method, path, data, headers)
        return status, json.loads(answer or b"null"), headers

    def sign_up(self, email):
        status, body, headers = self.api("POST", "/api/v1/signup", {"email": email, "password": "password-123"})
        assert status == 201, body
        cookie = headers["Set-Cookie"].split(";")[0]
        status, me, _ = self.api("GET", "/api/v1/me", cookie=cookie)
        return Tenant(body["token"]["value"], me["tenant"]["id"], cookie)

    def wait_for_token(self, token):
        """Tokens are picked up within the refresh interval; wait until HTTP ingest accepts this one."""
        deadline = time.time() + 10
        while time.time() < deadline:
            status, _, _ = self.api("POST", "/api/v1/ingest", raw=b"", token=token)
            if status == 202:
                return
            time.sleep(0.1)
        raise RuntimeError("token never accepted")

    def stop(self):
        """SIGTERM: flushes and writes everything, then exits."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(timeout=60)
        self.log.close()
        return self.process.returncode

    def series_path(self, tenant, series):
        return os.path.join(self.data, "whisper", tenant, *series.split(".")) + ".wsp"


class Tenant:
    def __init__(self, token, tenant_id, cookie):
        self.token = token
        self.id = tenant_id
        self.cookie = cookie


def send_udp(port, payload):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.sendto(payload if isinstance(payload, bytes) else payload.encode(), ("127.0.0.1", port))


def send_tcp(port, payload):
    with socket.create_connection(("127.0.0.1", port)) as s:
        s.sendall(payload if isinstance(payload, bytes) else payload.encode())
