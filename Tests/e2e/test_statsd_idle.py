"""Between flushes, as in Etsy: idle counters write 0, idle timers write count and count_ps 0, idle sets write 0,
idle gauges keep their value; a key idle longer than idle_expiry is forgotten."""

import time

import whisper

from telewall_service import Service, send_udp

CONFIG = """
idle_expiry = 3
[[storage.schema]]
pattern = ".*"
retentions = "1s:1h"
"""


def points(service, tenant, series):
    now = int(time.time()) + 5
    (start, end, step), values = whisper.fetch(service.series_path(tenant, series), now - 600, now, now=now)
    return [(start + i * step, v) for i, v in enumerate(values) if v is not None]


def test_idle_keys_are_written_as_etsy_writes_them_then_forgotten():
    s = Service(args=["--flush-interval", "1"], config=CONFIG)
    try:
        tenant = s.sign_up("idle@example.com")
        s.wait_for_token(tenant.token)
        t = tenant.token
        send_udp(s.statsd_port, f"{t}.hits:5|c\n{t}.lat:10|ms\n{t}.level:3|g\n{t}.who:a|s")
        sent = time.time()
        time.sleep(7.5)  # about seven flushes: the first with data, three idle, then forgotten (expiry 3 s)
    finally:
        s.stop()
    hits = points(s, tenant.id, "stats.counters.hits.count")
    assert [v for _, v in hits][:1] == [5.0]
    assert all(v == 0 for _, v in hits[1:]) and 2 <= len(hits) - 1 <= 5, hits
    assert hits[-1][0] < sent + 6, "forgotten after idle_expiry"
    lat_count = [v for _, v in points(s, tenant.id, "stats.timers.lat.count")]
    assert lat_count[0] == 1.0 and all(v == 0 for v in lat_count[1:]) and len(lat_count) >= 3
    assert [v for _, v in points(s, tenant.id, "stats.timers.lat.mean")] == [10.0], "idle timers write only count and count_ps"
    who = [v for _, v in points(s, tenant.id, "stats.sets.who.count")]
    assert who[0] == 1.0 and all(v == 0 for v in who[1:]) and len(who) >= 3
    level = [v for _, v in points(s, tenant.id, "stats.gauges.level")]
    assert len(level) >= 3 and all(v == 3.0 for v in level)
