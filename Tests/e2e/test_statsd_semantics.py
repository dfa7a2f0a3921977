"""Every StatsD type and option, sent over real UDP and TCP (raw and with the Python `statsd` client), read back
from the Whisper files the engine wrote, against values computed by EtsyModel."""

import math
import os
import random
import socket
import time

import pytest
import statsd
import whisper

from etsy_model import EtsyModel
from telewall_service import Service, send_tcp, send_udp

INTERVAL = 3600  # no periodic flush during a test: SIGTERM makes the one flush, and must lose nothing


def read_last(service, tenant, series):
    path = service.series_path(tenant, series)
    assert os.path.exists(path), f"{series} was not written"
    now = int(time.time()) + 20  # a flush stamps a rounded time, possibly a second ahead
    (start, end, step), values = whisper.fetch(path, now - 3000, now, now=now)
    present = [v for v in values if v is not None]
    assert present, f"{series} has no point"
    return present[-1]


def check(service, tenant, expected):
    mismatches = []
    for series, value in sorted(expected.items()):
        got = read_last(service, tenant, series)
        if not math.isclose(got, value, rel_tol=1e-12, abs_tol=1e-12):
            mismatches.append((series, got, value))
    assert not mismatches, mismatches


LINES = [
    "users.new:1|c", "users.new:2|c|@0.5", "users.new:3|c:4|c", "empty:|c", "neg:-5|c", "frac:0.25|c|@0.1",
    "tagged:5|c|#env:prod,role:web", "mixed:1|c:7|ms",
    "req.time:320|ms", "req.time:100|ms|@0.5", "req.time:50|h", "req.time:75|d", "req.time:0|ms",
    "single:7|ms", "pair:3|ms:1|ms",
    "temp:10|g", "temp:+5|g", "temp:-3|g", "zero:0|g", "zero:+4|g", "neg.gauge:-7|g", "frac.gauge:0.5|g",
    "uniq:a|s", "uniq:b|s", "uniq:a|s", "uniq2:1|s:2|s:1|s",
    "spaced key name:1|c", "a/b:2|c", "weird$%chars!:3|c",
]


def sanitize(line):
    key, rest = line.split(":", 1)
    key = "_".join(key.split())
    key = key.replace("/", "-")
    key = "".join(ch for ch in key if ch.isalnum() and ch.isascii() or ch in "_.-")
    return key + ":" + rest


@pytest.fixture
def service():
    s = Service(args=["--flush-interval", str(INTERVAL)])
    yield s
    s.stop()


def test_raw_udp_packets_aggregate_like_etsy(service):
    tenant = service.sign_up("udp@example.com")
    service.wait_for_token(tenant.token)
    rng = random.Random(7)
    timer_values = [rng.choice([rng.randint(0, 1000), rng.random() * 500]) for _ in range(97)]
    lines = LINES + [f"big.timer:{v}|ms" for v in timer_values]
    model = EtsyModel(INTERVAL)
    packets = [lines[i:i + 9] for i in range(0, len(lines), 9)]
    for packet in packets:
        send_udp(service.statsd_port, "\n".join(f"{tenant.token}.{line}" for line in packet))
        model.packet([sanitize(line) for line in packet])
    title = f"{tenant.token}.Deploy"
    send_udp(service.statsd_port, f"_sc|{tenant.token}.db.primary|0\n_e{{{len(title)},4}}:{title}|done|#env:prod")
    model.packet(["", ""])  # a service check and an event: received lines that write no series
    model.lines += 2
    model.packets += 1  # wait_for_token's empty HTTP ingest
    assert service.stop() == 0
    check(service, tenant.id, model.flush())


def test_gauges_sent_fast_end_as_they_arrived(service):
    """One fast sender's gauge values and changes are taken by both UDP receiving threads; the flush must apply
    them in the order they arrived, as Etsy StatsD does, whichever thread took each one."""
    tenant = service.sign_up("order@example.com")
    service.wait_for_token(tenant.token)
    model = EtsyModel(INTERVAL)
    rng = random.Random(11)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sender:
        for i in range(4000):
            line = f"order.g{i % 5}:{rng.choice(['', '', '+', '-'])}{rng.randint(1, 1000)}|g"
            sender.sendto(f"{tenant.token}.{line}".encode(), ("127.0.0.1", service.statsd_port))
            model.packet([line])
    model.packets += 1  # wait_for_token's empty HTTP ingest
    assert service.stop() == 0
    check(service, tenant.id, model.flush())


def test_raw_tcp_and_http_ingest(service):
    tenant = service.sign_up("tcp@example.com")
    service.wait_for_token(tenant.token)
    model = EtsyModel(INTERVAL)
    lines = ["t.count:2|c", "t.time:12|ms", "t.time:8|ms", "t.gauge:3|g"]
    send_tcp(service.statsd_port, "".join(f"{tenant.token}.{line}\n" for line in lines))
    model.packet(lines)
    status, body, _ = service.api("POST", "/api/v1/ingest", raw="\n".join(["h.count:5|c", "h.gauge:1|g"]).encode(), token=tenant.token)
    assert status == 202 and body == {"accepted": 2, "bad": 0}
    model.packet(["h.count:5|c", "h.gauge:1|g"])
    model.packets += 1  # wait_for_token's empty HTTP ingest counted as a packet
    assert service.stop() == 0
    check(service, tenant.id, model.flush())


def test_python_statsd_client_over_udp_and_tcp(service):
    tenant = service.sign_up("client@example.com")
    service.wait_for_token(tenant.token)
    udp = statsd.StatsClient("127.0.0.1", service.statsd_port, prefix=tenant.token)
    tcp = statsd.TCPStatsClient("127.0.0.1", service.statsd_port, prefix=tenant.token)
    tcp.connect()
    model = EtsyModel(INTERVAL)
    packets = service.metrics()["telewall_statsd_packets_total"]
    for client in (udp, tcp):
        client.incr("orders", 3)
        client.decr("orders", 1)
        client.timing("checkout", 320)
        client.timing("checkout", 20.5)
        client.gauge("queue", 40)
        client.gauge("queue", 2, delta=True)
        client.set("visitors", "alice")
        client.set("visitors", "bob")
        # Gauges apply in the order the server takes its batches, across transports as across threads; the
        # TCP lines go only once the 8 datagrams are taken, so that the model's order is the server's.
        deadline = time.time() + 10
        while client is udp and service.metrics()["telewall_statsd_packets_total"] < packets + 8 and time.time() < deadline:
            time.sleep(0.01)
    tcp.close()
    # The client formats timings as %0.6f and sends each call as its own line.
    for _ in range(2):
        model.packet(["orders:3|c", "orders:-1|c", "checkout:320.000000|ms", "checkout:20.500000|ms",
                      "queue:40|g", "queue:+2|g", "visitors:alice|s", "visitors:bob|s"])
    model.packets = 9  # 8 UDP datagrams and one TCP read carrying all 8 lines ...
    expected = model.flush()
    assert service.stop() == 0
    got_packets = read_last(service, tenant.id, "stats.counters.statsd.packets_received.count")
    assert 9 <= got_packets <= 17  # ... or more reads, as TCP delivers them
    del expected["stats.counters.statsd.packets_received.count"], expected["stats.counters.statsd.packets_received.rate"]
    check(service, tenant.id, expected)
