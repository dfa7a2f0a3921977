"""Seeded random hostile input against the release binary: render targets built from the function list with
extreme arguments, and JSON documents with extreme values for every endpoint that takes one. Every answer
must be a 2xx or a 4xx (never a 5xx), and the process must stay up. Bounded by count and by time."""

import http.client
import json
import os
import random
import subprocess
import time
import urllib.error
import urllib.parse

import pytest
import whisper

from telewall_service import Service

SEED = 20261122
EXTREME_NUMBERS = ["1e300", "-1e300", "1e19", "-1e19", "9223372036854775807", "-9223372036854775808", "0", "-1", "0.5", "2.5",
                   "1e-320", "100", "3"]
EXTREME_STRINGS = ["'1s'", "'-5min'", "'99999999999999999y'", "'0s'", "'(a+)+$'", "'\\\\1'", "'sum'", "'avg'", "'max'", "''",
                   "'%s'" % ("x" * 300), "'[z-a]'", "'('", "'1h'", "'3000y'"]
PATHS = ["app.*.requests", "app.web1.requests", "app.{web1,web2}.*", "app.web[0-9].requests", "*.*.*", "app.*", "nothing.*",
         "app." + "{a,b}" * 12, "..", "app.web1.requests.x",
         # Series not read from a file, whose points need not line up with the range: constantLine's last point sits
         # at the range's end (hitcount once indexed past its buckets on it and stopped the server).
         "constantLine(-7)", "constantLine(1e300)"]
VALUES = [1e300, -1e300, 1e19, -1e19, 2**63, -2**63 - 1, 2**64, 0, -1, 0.5, 1e-320, "x" * 3000, "", None, [], {}, True,
          "é✓\u0000", "../../etc", "%2e%2e", "1e999", "NaN", "-1h", "now", "sumSeries(app.*", "app.*"]
KEYS = ["title", "widgets", "type", "position", "x", "y", "w", "h", "targets", "target", "name", "dashboards", "dwell",
        "refresh", "from", "until", "thresholds", "warning", "critical", "email", "password", "text", "component"]


@pytest.fixture(scope="module")
def served():
    s = Service()
    tenant = s.sign_up("hostile@example.com")
    root = os.path.join(s.data, "whisper", tenant.id)
    now = int(time.time())
    for name in ["web1", "web2"]:
        os.makedirs(os.path.join(root, "app", name), exist_ok=True)
        path = os.path.join(root, "app", name, "requests.wsp")
        whisper.create(path, [(10, 8640), (60, 10080)])
        whisper.update_many(path, [(now - 10 * k, float(k % 7) / 4) for k in range(300)])
    yield s, tenant
    assert s.stop() == 0


def alive_and_answered(service, status, what):
    if status == 599:  # no answer: give a dying process time to exit, so that the check names the request
        try:
            service.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
    assert service.process.poll() is None, f"the server stopped on {what}"
    assert status < 500, f"{status} on {what}"


def random_target(rng, functions, depth=0):
    if depth > 3 or rng.random() < 0.3:
        return rng.choice(PATHS)
    name = rng.choice(functions)
    args = [random_target(rng, functions, depth + 1)]
    for _ in range(rng.randint(0, 3)):
        args.append(rng.choice([rng.choice(EXTREME_NUMBERS), rng.choice(EXTREME_STRINGS), rng.choice(["true", "false"]),
                                random_target(rng, functions, depth + 1)]))
    return f"{name}({','.join(args)})"


def test_random_targets_get_answers_not_crashes(served):
    service, tenant = served
    status, functions, _ = service.api("GET", "/functions", cookie=tenant.cookie)
    assert status == 200
    rng = random.Random(SEED)
    names = sorted(functions)
    deadline = time.time() + 90
    answered = {200: 0, 400: 0}
    for _ in range(2000):
        if time.time() > deadline:
            break
        target = random_target(rng, names)
        window = rng.choice(["from=-1h", "from=-24h", "from=-1y", "from=-99999999999y", "until=9223372036854775807", "from=-5min"])
        extra = rng.choice(["", "&maxDataPoints=" + rng.choice(["nan", "1e300", "-5", "7"]), "&format=csv", "&noNullPoints=true"])
        query = "target=" + urllib.parse.quote(target) + "&" + window + extra
        status, _ = send(service, "GET", "/render?" + query, tenant.cookie)
        alive_and_answered(service, status, urllib.parse.unquote(query))
        answered[status] = answered.get(status, 0) + 1
    # Both kinds of answer happen, so the spray reached the functions and not only the parser.
    assert answered[200] > 50 and answered[400] > 50, answered


def send(service, method, path, cookie, body=None, content_type=None):
    """One request: the status and the body's bytes, or 599 when no answer came at all (the check after it then
    names the request)."""
    headers = {"Cookie": cookie}
    if content_type:
        headers["Content-Type"] = content_type
    try:
        status, answer, _ = service.request(method, path, body, headers)
        return status, answer
    except (urllib.error.URLError, ConnectionError, http.client.HTTPException):
        return 599, b""


def random_value(rng, depth=0):
    r = rng.random()
    if depth < 3 and r < 0.15:
        return [random_value(rng, depth + 1) for _ in range(rng.randint(0, 4))]
    if depth < 3 and r < 0.3:
        return {rng.choice(KEYS): random_value(rng, depth + 1) for _ in range(rng.randint(0, 5))}
    return rng.choice(VALUES)


def test_random_documents_get_answers_not_crashes(served):
    service, tenant = served
    rng = random.Random(SEED + 1)
    paths = ["/api/v1/dashboards", "/api/v1/playlists", "/api/v1/dashboards/preview", "/api/v1/tokens", "/api/v1/keys",
             "/api/v1/session", "/api/v1/signup"]
    deadline = time.time() + 90
    for _ in range(2000):
        if time.time() > deadline:
            break
        path = rng.choice(paths)
        raw = json.dumps(random_value(rng)).encode() if rng.random() < 0.9 else bytes(rng.getrandbits(8) for _ in range(rng.randint(0, 200)))
        status, body = send(service, "POST", path, tenant.cookie, raw, rng.choice(["application/json", "text/plain", None]))
        alive_and_answered(service, status, f"POST {path} {raw[:200]!r}")
        if status == 201 and path in ("/api/v1/dashboards", "/api/v1/playlists"):
            created = json.loads(body)["id"]
            status, _ = send(service, "GET", f"{path}/{created}", tenant.cookie)
            alive_and_answered(service, status, f"GET {path}/{created}")
    for query in ["index=-9223372036854775808", "index=99999999999999999999", "points=-1", "points=99999999999999999999"]:
        status, _ = send(service, "GET", f"/api/v1/dashboards/1/data?{query}", tenant.cookie)
        alive_and_answered(service, status, query)
