"""/metrics read by Prometheus's own parser (prometheus_client): every family parses, and the request-duration
histogram is whole: cumulative buckets in order up to +Inf, which equals _count, with each render made here
counted under its route and the compute pool."""

import math
import time

from prometheus_client.parser import text_string_to_metric_families

from telewall_service import Service

RENDERS = 7


def duration_samples(service, route):
    families = {f.name: f for f in text_string_to_metric_families(service.metrics_text())}
    histogram = families["telewall_http_request_duration_seconds"]
    assert histogram.type == "histogram"
    assert families["telewall_http_requests"].type == "counter"
    return [s for s in histogram.samples if s.labels.get("route") == route]


def test_metrics_parse_and_the_duration_histogram_counts_each_render():
    s = Service()
    try:
        tenant = s.sign_up("metrics@example.com")
        for _ in range(RENDERS):
            status, _, _ = s.request("GET", "/render?target=nothing.here&format=json", headers={"Cookie": tenant.cookie})
            assert status == 200
        # A pool job counts its answer after writing it, so the last may arrive first.
        deadline = time.time() + 5
        while True:
            samples = duration_samples(s, "GET /render")
            count = next((x.value for x in samples if x.name.endswith("_count")), 0)
            if count == RENDERS or time.time() > deadline:
                break
            time.sleep(0.05)
        buckets = [(float(x.labels["le"]), x.value) for x in samples if x.name.endswith("_bucket")]
        bounds = [b for b, _ in buckets]
        assert bounds == sorted(bounds) and bounds[-1] == math.inf and len(bounds) > 10
        assert [v for _, v in buckets] == sorted(v for _, v in buckets)
        assert buckets[-1][1] == count == RENDERS
        assert {x.labels["pool"] for x in samples} == {"compute_pool"}
        assert 0 < next(x.value for x in samples if x.name.endswith("_sum")) < 5 * RENDERS
        # Signing up hashed a password on the worker pool.
        signups = duration_samples(s, "POST /api/v1/signup")
        assert {x.labels["pool"] for x in signups} == {"worker_pool"}
        assert any(x.name.endswith("_count") and x.value == 1 for x in signups)
    finally:
        s.stop()
