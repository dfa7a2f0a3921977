/// A tenant's StatsD state across flushes: which keys it has (for idle zeros and expiry) and its gauges.
public struct TenantState: Sendable {
    /// Key → time of the last flush that had data for it.
    var counters: [String: Int] = [:]
    var timers: [String: Int] = [:]
    var sets: [String: Int] = [:]
    /// Each gauge's value, the flush it last changed in, and the arrival number of the last value set in it.
    var gauges: [String: (value: Double, lastSeen: Int, setArrival: Int)] = [:]
    var lastActive = 0
    public private(set) var usage = Usage()

    public struct Usage: Sendable, Equatable {
        public var keys = 0
        public var counts = LineCounts()

        public init() {}
    }

    public init() {}

    var keyCount: Int { counters.count + timers.count + sets.count + gauges.count }

    func knows(_ key: String) -> Bool {
        counters[key] != nil || timers[key] != nil || sets[key] != nil || gauges[key] != nil
    }

    /// The counters Etsy keeps about itself, named as it names them (SPEC 3.2).
    static let internalCounters = ["statsd.bad_lines_seen", "statsd.metrics_received", "statsd.packets_received", "statsd.dropped_over_quota"]

    /// Folds one interval's bucket in and returns every series to write at `now`, as Etsy's process_metrics and
    /// graphite backend (non-legacy namespace) would: counters `.count`/`.rate`, timers' statistics, gauges, set
    /// sizes, the tenant's own statsd counters and `stats.statsd.numStats`. Idle keys are written as Etsy writes
    /// them; keys idle longer than `idleExpiry` seconds are forgotten. `maxKeys` caps distinct keys: samples of
    /// new keys past it are dropped and counted in `statsd.dropped_over_quota`.
    public mutating func flush(
        _ incoming: Bucket, now: Int, interval: Double, idleExpiry: Int, maxKeys: Int = .max, percentiles: [Double] = [90]
    ) -> [(String, Double)] {
        var bucket = incoming
        var room = maxKeys - usage.keys
        for key in bucket.keys.sorted() where !knows(key) {
            if room > 0 { room -= 1 } else { bucket.counts.droppedOverQuota += bucket.remove(key) }
        }
        bucket.counters["statsd.bad_lines_seen"] = Double(bucket.counts.badLines)
        bucket.counters["statsd.metrics_received"] = Double(bucket.counts.lines)
        bucket.counters["statsd.packets_received"] = Double(bucket.counts.packets)
        bucket.counters["statsd.dropped_over_quota"] = Double(bucket.counts.droppedOverQuota)
        record(bucket, now: now)
        expire(now: now, idleExpiry: idleExpiry)

        var out: [(String, Double)] = []
        for key in counters.keys.sorted() {
            let count = bucket.counters[key] ?? 0
            out.append(("stats.counters.\(key).count", count))
            out.append(("stats.counters.\(key).rate", count / interval))
        }
        for key in timers.keys.sorted() {
            let prefix = "stats.timers.\(key)."
            for (name, value) in TimerStatistics.compute(bucket.timers[key] ?? Bucket.TimerValues(), interval: interval, percentiles: percentiles) {
                out.append((prefix + name, value))
            }
        }
        for key in gauges.keys.sorted() { out.append(("stats.gauges.\(key)", gauges[key]!.value)) }
        for key in sets.keys.sorted() { out.append(("stats.sets.\(key).count", Double(bucket.sets[key]?.count ?? 0))) }
        out.append(("stats.statsd.numStats", Double(counters.count + timers.count + gauges.count + sets.count)))
        return out
    }

    private mutating func record(_ bucket: Bucket, now: Int) {
        for key in bucket.counters.keys { counters[key] = now }
        for key in bucket.timers.keys { timers[key] = now }
        for key in bucket.sets.keys { sets[key] = now }
        for (key, changes) in bucket.gauges {
            var value = gauges[key]?.value
            var setArrival = gauges[key]?.setArrival ?? 0
            // A batch taken before the previous flush but recorded after it: a value set since replaced it.
            for arrived in changes where arrived.arrival >= setArrival {
                switch arrived.change {
                case .set(let v):
                    value = v
                    setArrival = arrived.arrival
                // Etsy adds a change only to a gauge that is set and not zero (`gauges[key] && ...`); else it sets.
                case .add(let v): value = (value.map { $0 != 0 && !$0.isNaN } ?? false) ? value! + v : v
                }
            }
            gauges[key] = (value!, now, setArrival)
        }
        if bucket.counts.lines > 0 || bucket.counts.packets > 0 { lastActive = now }
        usage.counts += bucket.counts
    }

    private mutating func expire(now: Int, idleExpiry: Int) {
        let cutoff = now - idleExpiry
        counters = counters.filter { $0.value >= cutoff || TenantState.internalCounters.contains($0.key) }
        timers = timers.filter { $0.value >= cutoff }
        sets = sets.filter { $0.value >= cutoff }
        gauges = gauges.filter { $0.value.lastSeen >= cutoff }
        usage.keys = keyCount - TenantState.internalCounters.count
    }

    /// True when the tenant sent nothing for longer than `idleExpiry`: its state can go.
    func isExpired(now: Int, idleExpiry: Int) -> Bool { now - lastActive > idleExpiry }
}

/// Etsy's timer statistics (lib/process_metrics.js) for one key and one flush.
public enum TimerStatistics {
    public static func compute(_ timer: Bucket.TimerValues, interval: Double, percentiles: [Double]) -> [(String, Double)] {
        guard !timer.values.isEmpty else { return [("count", 0), ("count_ps", 0)] }
        let values = timer.values.sorted()
        let count = values.count
        var cumulative = [values[0]]
        var cumulativeSquares = [values[0] * values[0]]
        for i in 1..<count {
            cumulative.append(values[i] + cumulative[i - 1])
            cumulativeSquares.append(values[i] * values[i] + cumulativeSquares[i - 1])
        }
        var out: [(String, Double)] = []
        var sum = values[0], sumSquares = values[0] * values[0], mean = values[0], boundary = values[count - 1]
        for pct in percentiles {
            var inThreshold = count
            if count > 1 {
                // JavaScript's Math.round: halves go up.
                inThreshold = Int((abs(pct) / 100 * Double(count) + 0.5).rounded(.down))
                if inThreshold == 0 { continue }
                if pct > 0 {
                    boundary = values[inThreshold - 1]
                    sum = cumulative[inThreshold - 1]
                    sumSquares = cumulativeSquares[inThreshold - 1]
                } else {
                    boundary = values[count - inThreshold]
                    sum = cumulative[count - 1] - (count - inThreshold - 1 >= 0 ? cumulative[count - inThreshold - 1] : 0)
                    sumSquares = cumulativeSquares[count - 1] - (count - inThreshold - 1 >= 0 ? cumulativeSquares[count - inThreshold - 1] : 0)
                }
                mean = sum / Double(inThreshold)
            }
            let name = Self.percentileName(pct)
            out += [("count_\(name)", Double(inThreshold)), ("mean_\(name)", mean), ((pct > 0 ? "upper_" : "lower_") + name, boundary),
                    ("sum_\(name)", sum), ("sum_squares_\(name)", sumSquares)]
        }
        sum = cumulative[count - 1]
        sumSquares = cumulativeSquares[count - 1]
        mean = sum / Double(count)
        var sumOfDiffs = 0.0
        for v in values { sumOfDiffs += (v - mean) * (v - mean) }
        let mid = count / 2
        let median = count % 2 == 1 ? values[mid] : (values[mid - 1] + values[mid]) / 2
        out += [("std", (sumOfDiffs / Double(count)).squareRoot()), ("upper", values[count - 1]), ("lower", values[0]),
                ("count", timer.count), ("count_ps", timer.count / interval), ("sum", sum), ("sum_squares", sumSquares),
                ("mean", mean), ("median", median)]
        return out
    }

    /// `90` → `90`, `99.9` → `99_9`, `-10` → `top10`, as Etsy names them.
    static func percentileName(_ pct: Double) -> String {
        let text = pct == pct.rounded() ? String(Int(pct)) : String(pct)
        return text.split(separator: ".", omittingEmptySubsequences: false).joined(separator: "_")
            .split(separator: "-", omittingEmptySubsequences: false).joined(separator: "top")
    }
}
