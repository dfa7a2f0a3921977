"""Malformed input, tenant walls, token revocation and flooding, over real sockets."""

import os
import socket
import time

import pytest
import whisper

from telewall_service import Service, send_tcp, send_udp


def values(service, tenant, series):
    path = service.series_path(tenant, series)
    if not os.path.exists(path):
        return []
    now = int(time.time()) + 20
    return [v for v in whisper.fetch(path, now - 3000, now, now=now)[1] if v is not None]


def all_files(root):
    found = []
    for directory, _, files in os.walk(root):
        found += [os.path.join(directory, f) for f in files]
    return found


@pytest.fixture
def service():
    s = Service(args=["--flush-interval", "3600"])
    yield s
    s.stop()


def test_malformed_corpus_never_crashes_and_keeps_the_good_lines(service):
    tenant = service.sign_up("corpus@example.com")
    other = service.sign_up("bystander@example.com")
    service.wait_for_token(tenant.token)
    t = tenant.token
    corpus = [
        "", "\n\n", f"{t}", f"{t}.", f"{t}.key", f"{t}.key:", f"{t}.key:1", f"{t}.key:1|", f"{t}.key:1|x", f"{t}.key:1|cc",
        f"{t}.key:abc|c", f"{t}.key:1|c|0.5", f"{t}.key:1|c|@", f"{t}.key:1|c|@-1", f"{t}.key:1|c|@0", f"{t}.key:1|c|@abc",
        f"{t}.key:NaN|c", f"{t}.key:nan|g", f"{t}.key:Infinity|c", f"{t}.key:-inf|g", f"{t}.key:1e999|c", f"{t}.key:0x10|c",
        f"{t}.key:-5|ms", f"{t}.key: 5|c", f"{t}..key:1|c", f"{t}.key..x:1|c", f"{t}.../../etc/passwd:1|c", f"{t}./abs:1|c",
        f"{t}.a/../../b:1|c", f"{t}." + "x" * 300 + ":1|c", f"{t}." + ".".join(["s"] * 40) + ":1|c", f"{t}.%2e%2e:1|c",
        f"{t}.k:1|c|#", f"_sc|{t}.x|9", "_sc|", "_e{999,1}:x|y", "_e{a,b}:x", f"{other.token[:-1]}.stolen:1|c",
        "notatoken.key:1|c", ":::", "|||", "\x00\x01\x02", f"{t}.\x00:1|c", f"{t}.tab\there:1|c",
    ]
    good = [f"{t}.good.count:2|c", f"{t}.good.gauge:9|g"]
    packet = "\n".join(corpus[:20] + good[:1] + corpus[20:] + good[1:])
    send_udp(service.statsd_port, packet.encode())
    send_udp(service.statsd_port, b"\xff\xfe" + f"\n{t}.utf:1|c\n".encode() + b"\xc3\x28:1|c")
    send_udp(service.statsd_port, (f"{t}.big:1|c\n" * 4000)[:65000].encode())  # a 64 KiB datagram
    send_tcp(service.statsd_port, "\n".join(corpus) + "\n" + good[0] + "\n")
    send_tcp(service.graphite_port, f"{t}.g.ok 1 -1\n{t}.g.bad notanumber 1\n{t}.g.neg 1 -5\n{t} 1 2\n{t}.g../x 1 N\n")
    time.sleep(0.3)
    assert service.health()["status"] == "ok"
    metrics = service.metrics()
    assert metrics["telewall_statsd_bad_lines_total"] >= 30
    assert service.stop() == 0

    # The good lines of the same packets arrived.
    assert values(service, tenant.id, "stats.counters.good.count.count") == [4.0]
    assert values(service, tenant.id, "stats.gauges.good.gauge") == [9.0]
    assert values(service, tenant.id, "stats.counters.big.count") == [float(65000 // len(f"{t}.big:1|c\n"))]
    assert values(service, tenant.id, "g.ok") == [1.0]
    assert values(service, tenant.id, "stats.counters.statsd.bad_lines_seen.count")[0] >= 30
    # Nothing outside the tenant's directory, nothing for the bystander.
    root = os.path.join(service.data, "whisper")
    for path in all_files(root):
        assert os.path.realpath(path).startswith(os.path.join(root, tenant.id) + os.sep), path
        assert path.endswith(".wsp")
    assert not os.path.exists(os.path.join(root, other.id))


def test_tenants_never_mix(service):
    a = service.sign_up("a@example.com")
    b = service.sign_up("b@example.com")
    service.wait_for_token(a.token)
    service.wait_for_token(b.token)
    send_udp(service.statsd_port, f"{a.token}.shared.name:1|c\n{b.token}.shared.name:10|c\n{a.token}.only.a:1|g")
    send_tcp(service.statsd_port, f"{b.token}.shared.name:100|c\n")
    assert service.stop() == 0
    assert values(service, a.id, "stats.counters.shared.name.count") == [1.0]
    assert values(service, b.id, "stats.counters.shared.name.count") == [110.0]
    assert values(service, b.id, "stats.gauges.only.a") == []


def test_revoked_token_stops_and_new_token_starts_within_five_seconds():
    s = Service(args=["--flush-interval", "3600"])
    try:
        tenant = s.sign_up("rev@example.com")
        s.wait_for_token(tenant.token)
        status, issued, _ = s.api("POST", "/api/v1/tokens", {"name": "second"}, cookie=tenant.cookie)
        assert status == 201
        started = time.time()
        while s.api("POST", "/api/v1/ingest", raw=b"x:1|c", token=issued["value"])[0] != 202:
            assert time.time() - started < 5, "a new token did not work within 5 s"
            time.sleep(0.05)
        status, tokens, _ = s.api("GET", "/api/v1/tokens", cookie=tenant.cookie)
        first = [t for t in tokens["tokens"] if t["name"] == "default"][0]
        send_udp(s.statsd_port, f"{tenant.token}.before:1|c")
        assert s.api("DELETE", f"/api/v1/tokens/{first['id']}", cookie=tenant.cookie)[0] == 204
        revoked_at = time.time()
        unknown_before = s.metrics()["telewall_statsd_unknown_tokens_total"]
        while True:
            send_udp(s.statsd_port, f"{tenant.token}.after:1|c")
            time.sleep(0.05)
            if s.metrics()["telewall_statsd_unknown_tokens_total"] > unknown_before:
                break
            assert time.time() - revoked_at < 5, "a revoked token was still accepted after 5 s"
        assert s.api("POST", "/api/v1/ingest", raw=b"x:1|c", token=tenant.token)[0] == 401
    finally:
        s.stop()
    assert values(s, tenant.id, "stats.counters.before.count") == [1.0]


def test_a_flooding_tenant_costs_another_no_line():
    s = Service(args=["--flush-interval", "3600", "--log-level", "warning"], config="tenant_max_lines_per_second = 20000\n")
    try:
        flooder = s.sign_up("flood@example.com")
        calm = s.sign_up("calm@example.com")
        s.wait_for_token(flooder.token)
        s.wait_for_token(calm.token)
        flood = ("\n".join(f"{flooder.token}.f{i % 50}:1|c" for i in range(40))).encode()
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        deadline = time.time() + 2.0
        sent_calm = 0
        packets = 0
        # Bursts of 2,000 lines every few milliseconds: ten times the flooder's quota and more, yet few enough
        # datagrams that the kernel's socket buffer never overflows. Unpaced, Python sends faster than any reader
        # here drains the socket, and the kernel then drops datagrams of both tenants before Telewall sees them.
        while time.time() < deadline and packets < 200_000:
            for _ in range(50):
                sock.sendto(flood, ("127.0.0.1", s.statsd_port))
            packets += 50
            sock.sendto(f"{calm.token}.steady:1|c".encode(), ("127.0.0.1", s.statsd_port))
            sent_calm += 1
            time.sleep(0.005)
        sock.close()
        time.sleep(0.5)
        dropped = s.metrics()["telewall_statsd_dropped_over_quota_total"]
    finally:
        s.stop()
    assert dropped > 0, "the flood went over its quota and was cut"
    assert values(s, calm.id, "stats.counters.steady.count") == [float(sent_calm)]
    flooded = values(s, flooder.id, "stats.counters.statsd.dropped_over_quota.count")
    assert flooded and flooded[0] > 0, "the flooding tenant is told what it lost"


def test_distinct_keys_past_the_quota_are_dropped_and_reported():
    s = Service(args=["--flush-interval", "3600"], config="tenant_max_keys = 5\n")
    try:
        tenant = s.sign_up("keys@example.com")
        s.wait_for_token(tenant.token)
        send_udp(s.statsd_port, "\n".join(f"{tenant.token}.k{i}:1|c" for i in range(8)))
        send_udp(s.statsd_port, f"_sc|{tenant.token}.db|1\n_e{{{len(tenant.token) + 3},2}}:{tenant.token}.Hi|ok")
        time.sleep(0.3)
        metrics = s.metrics()
        assert metrics["telewall_statsd_service_checks_total"] == 1 and metrics["telewall_statsd_events_total"] == 1
    finally:
        s.stop()
    stored = [i for i in range(8) if values(s, tenant.id, f"stats.counters.k{i}.count") == [1.0]]
    assert len(stored) == 5
    assert values(s, tenant.id, "stats.counters.statsd.dropped_over_quota.count") == [3.0]
