"""Etsy StatsD's arithmetic, written from its documented formulas (docs/metric_types.md and the flush
rules of lib/process_metrics.js) independently of Telewall: the expected values of the ingest tests."""

import math


def js_round(x):
    """JavaScript's Math.round: halves go towards +infinity."""
    return math.floor(x + 0.5)


class EtsyModel:
    def __init__(self, interval, percentiles=(90,)):
        self.interval = interval
        self.percentiles = percentiles
        self.counters, self.timers, self.timer_counts, self.gauges, self.sets = {}, {}, {}, {}, {}
        self.lines = self.bad = self.packets = 0

    def packet(self, lines):
        """Lines of one packet, without their token prefix."""
        self.packets += 1
        for line in lines:
            if line:
                self.lines += 1
                self.line(line)

    def line(self, line):
        body = line.split("|#")[0]
        key, *values = body.split(":")
        for value in values:
            fields = value.split("|")
            rate = float(fields[2][1:]) if len(fields) > 2 else 1.0
            kind = fields[1]
            if kind == "c":
                self.counters[key] = self.counters.get(key, 0) + float(fields[0] or 1) * (1 / rate)
            elif kind in ("ms", "h", "d"):
                self.timers.setdefault(key, []).append(float(fields[0]))
                self.timer_counts[key] = self.timer_counts.get(key, 0) + 1 / rate
            elif kind == "g":
                if self.gauges.get(key) and fields[0][0] in "+-":
                    self.gauges[key] += float(fields[0])
                else:
                    self.gauges[key] = float(fields[0])
            elif kind == "s":
                self.sets.setdefault(key, set()).add(fields[0] or "0")

    def timer_stats(self, values, count):
        v = sorted(values)
        n = len(v)
        out = {}
        for pct in self.percentiles:
            within = n if n == 1 else js_round(abs(pct) / 100 * n)
            if within == 0:
                continue
            part = v[:within]
            total = 0.0
            squares = 0.0
            for x in part:
                total += x
                squares += x * x
            out[f"count_{pct}"] = within
            out[f"mean_{pct}"] = total / within
            out[f"upper_{pct}"] = part[-1]
            out[f"sum_{pct}"] = total
            out[f"sum_squares_{pct}"] = squares
        total = 0.0
        squares = 0.0
        for x in v:
            total += x
            squares += x * x
        mean = total / n
        diffs = 0.0
        for x in v:
            diffs += (x - mean) * (x - mean)
        median = v[n // 2] if n % 2 else (v[n // 2 - 1] + v[n // 2]) / 2
        out.update({"std": math.sqrt(diffs / n), "upper": v[-1], "lower": v[0], "count": count,
                    "count_ps": count / self.interval, "sum": total, "sum_squares": squares, "mean": mean, "median": median})
        return out

    def flush(self, bad_lines=0, dropped=0):
        """The series Etsy's graphite backend writes for this interval (non-legacy namespace)."""
        counters = dict(self.counters)
        counters["statsd.bad_lines_seen"] = bad_lines
        counters["statsd.metrics_received"] = self.lines
        counters["statsd.packets_received"] = self.packets
        counters["statsd.dropped_over_quota"] = dropped
        out = {}
        for key, value in counters.items():
            out[f"stats.counters.{key}.count"] = value
            out[f"stats.counters.{key}.rate"] = value / self.interval
        for key, values in self.timers.items():
            for name, value in self.timer_stats(values, self.timer_counts[key]).items():
                out[f"stats.timers.{key}.{name}"] = value
        for key, value in self.gauges.items():
            out[f"stats.gauges.{key}"] = value
        for key, members in self.sets.items():
            out[f"stats.sets.{key}.count"] = len(members)
        out["stats.statsd.numStats"] = len(counters) + len(self.timers) + len(self.gauges) + len(self.sets)
        return out
