"""Tenants take turns in the render pool. One tenant floods it from many connections and with many read keys;
another tenant's renders meanwhile wait about one turn, not behind the flood. Real binary, real loopback
connections, curl for the measured requests."""

import json
import os
import subprocess
import sys
import time

import whisper

from telewall_service import Service

FLOOD_KEYS = 16
FLOOD_SECONDS = 8.0
MEASURED = 20


def read_key(service, tenant, name):
    status, body, _ = service.api("POST", "/api/v1/keys", {"name": name}, cookie=tenant.cookie)
    assert status == 201, body
    return body["value"]


def heavy_series(service, tenant, count):
    """`count` series of a day of 10-second points, so that summing them keeps a render thread busy."""
    now = int(time.time())
    for n in range(count):
        path = service.series_path(tenant.id, f"heavy.s{n}")
        os.makedirs(os.path.dirname(path), exist_ok=True)
        whisper.create(path, [(10, 8640)])
        whisper.update_many(path, [(now - 10 * k, float((n + k) % 50)) for k in range(8640)])


def median(values):
    return sorted(values)[len(values) // 2]


def curl_seconds(service, path, key):
    out = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code} %{time_total}",
                          "-H", f"Authorization: Bearer {key}", service.url + path],
                         capture_output=True, text=True, timeout=30, check=True).stdout.split()
    assert out[0] == "200", out
    return float(out[1])


def test_a_flooding_tenant_does_not_hold_back_another():
    s = Service()
    try:
        flooder, other = s.sign_up("flood@example.com"), s.sign_up("other@example.com")
        heavy_series(s, flooder, 120)
        flood_keys = [read_key(s, flooder, f"k{n}") for n in range(FLOOD_KEYS)]
        other_key = read_key(s, other, "k")
        heavy = "/render?target=sumSeries(heavy.*)&from=-24h&maxDataPoints=50&format=json"
        light = "/render?target=constantLine(1)&from=-1h&format=json"
        curl_seconds(s, heavy, flood_keys[0])  # the flood's render answers 200
        # The other tenant's render on an idle server: what it costs without waiting for a turn.
        idle = median([curl_seconds(s, light, other_key) for _ in range(MEASURED)])
        # Enough connections that, without turns by tenant, the other's render would queue behind 16 of the
        # flood's keys or all of its connections.
        threads = len(os.sched_getaffinity(0))
        connections = min(128, FLOOD_KEYS * threads * 2)
        started = time.monotonic()
        flood = subprocess.Popen([sys.executable, os.path.join(os.path.dirname(__file__), "render_flood.py"), str(s.port),
                                  heavy, str(FLOOD_SECONDS), str(connections), ",".join(flood_keys)],
                                 stdout=subprocess.PIPE, text=True)
        time.sleep(1.5)
        waits = []
        for _ in range(MEASURED):
            waits.append(curl_seconds(s, light, other_key))
            time.sleep(0.05)
        assert time.monotonic() - started < FLOOD_SECONDS, "the flood ended before the measured requests did"
        report = json.loads(flood.communicate(timeout=60)[0])
        answered = sum(report["statuses"].values())
        assert set(report["statuses"]) == {"200"}, report
        # The flood's pool throughput in renders per second; one render's share of the pool is its inverse.
        turn = FLOOD_SECONDS / answered
        loaded = median(waits)
        print(f"flood {answered / FLOOD_SECONDS:.0f} renders/s over {connections} connections, one turn {turn * 1000:.2f} ms; "
              f"the other tenant's median {loaded * 1000:.2f} ms, {idle * 1000:.2f} ms on an idle server")
        # Turns by tenant: about one turn more than on an idle server. Turns by key would be about 16 turns (fewer
        # with more cores than keys); no turns, about `connections`.
        assert loaded < idle + 4 * turn
    finally:
        assert s.stop() == 0
