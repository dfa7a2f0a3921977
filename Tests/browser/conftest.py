"""Starts the real telewall binary on free loopback ports with its own data directory."""

import json
import os
import socket
import subprocess
import tempfile
import time
import urllib.request

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ARTIFACTS = os.environ.get("TELEWALL_ARTIFACTS", os.path.join(ROOT, "artifacts"))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Service:
    def __init__(self, binary):
        self.data = tempfile.mkdtemp(prefix="telewall-e2e-")
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = open(os.path.join(self.data, "telewall.log"), "w")
        self.process = subprocess.Popen(
            [binary, "serve", "--data", self.data, "--http", f"127.0.0.1:{self.port}",
             "--statsd", f"127.0.0.1:{free_port()}", "--graphite", f"127.0.0.1:{free_port()}"],
            cwd=ROOT, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=1) as r:
                    if json.load(r)["components"]["http"]["state"] == "ONLINE":
                        return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("telewall did not start")

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=20)
        self.log.close()


@pytest.fixture
def service():
    binary = os.environ.get("TELEWALL_BIN", os.path.join(ROOT, ".build", "debug", "telewall"))
    s = Service(binary)
    yield s
    s.stop()


@pytest.fixture
def browser():
    from cdp import Browser
    b = Browser(1280, 900)
    yield b
    b.close()
