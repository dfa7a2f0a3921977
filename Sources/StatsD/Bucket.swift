import Synchronization

/// What arrived for one tenant between two flushes, as Etsy StatsD keeps it: counter sums, timer values,
/// gauge changes in order, set members. Receivers each fill their own and the flusher merges them.
public struct Bucket: Sendable {
    public enum GaugeChange: Sendable, Equatable {
        case set(Double)
        case add(Double)
    }

    /// A gauge change and the arrival number of the batch it came in (`ArrivalOrder`).
    public struct ArrivedChange: Sendable, Equatable {
        public let arrival: Int
        public let change: GaugeChange
    }

    public struct TimerValues: Sendable {
        public var values: [Double] = []
        /// Sum of 1/sample-rate: the timer's `count`.
        public var count = 0.0
    }

    public var counters: [String: Double] = [:]
    public var timers: [String: TimerValues] = [:]
    /// Each key's changes in arrival order. Only gauges depend on order: a receiving thread appends in the
    /// order of its batches, and merging interleaves threads by arrival.
    public var gauges: [String: [ArrivedChange]] = [:]
    public var sets: [String: Set<String>] = [:]
    public var counts = LineCounts()

    public init() {}

    /// Applies one sample to `key` with Etsy's rules (stats.js `handlePacket`); `arrival` numbers its batch.
    public mutating func record(_ key: String, _ sample: Sample, arrival: Int) {
        switch sample.kind {
        case .counter:
            counters[key, default: 0] += sample.value * (1 / sample.sampleRate)
        case .timer:
            timers[key, default: TimerValues()].values.append(sample.value)
            timers[key]!.count += 1 / sample.sampleRate
        case .gauge:
            gauges[key, default: []].append(ArrivedChange(arrival: arrival, change: sample.isDelta ? .add(sample.value) : .set(sample.value)))
        case .set:
            sets[key, default: []].insert(sample.member)
        }
    }

    /// Adds another receiver's bucket; gauge changes interleave by arrival.
    public mutating func merge(_ other: Bucket) {
        counters.merge(other.counters, uniquingKeysWith: +)
        for (key, t) in other.timers {
            timers[key, default: TimerValues()].values += t.values
            timers[key]!.count += t.count
        }
        gauges.merge(other.gauges, uniquingKeysWith: Self.interleave)
        sets.merge(other.sets) { $0.union($1) }
        counts += other.counts
    }

    /// Two lists in arrival order made one, in arrival order; on equal arrivals (one batch), the first list's
    /// changes first.
    static func interleave(_ first: [ArrivedChange], _ second: [ArrivedChange]) -> [ArrivedChange] {
        var merged: [ArrivedChange] = []
        merged.reserveCapacity(first.count + second.count)
        var (i, j) = (0, 0)
        while i < first.count && j < second.count {
            if second[j].arrival < first[i].arrival {
                merged.append(second[j])
                j += 1
            } else {
                merged.append(first[i])
                i += 1
            }
        }
        merged += first[i...]
        merged += second[j...]
        return merged
    }

    /// Metric keys this bucket names.
    var keys: Set<String> { Set(counters.keys).union(timers.keys).union(gauges.keys).union(sets.keys) }

    /// Drops everything about `key` (past the key quota) and returns how many samples that was.
    mutating func remove(_ key: String) -> Int {
        var removed = 0
        if counters.removeValue(forKey: key) != nil { removed += 1 }
        removed += timers.removeValue(forKey: key)?.values.count ?? 0
        removed += gauges.removeValue(forKey: key)?.count ?? 0
        removed += sets.removeValue(forKey: key)?.count ?? 0
        return removed
    }
}

/// Numbers the batches of lines in the order they were taken from their socket or request, across every
/// receiver, so that gauge changes received by different threads are applied as they arrived.
public enum ArrivalOrder {
    private static let counter = Atomic<Int>(0)

    public static func next() -> Int { counter.add(1, ordering: .relaxed).newValue }
}

/// What a tenant sent, counted: per flush in a `Bucket`, since the start in `TenantState.Usage`.
public struct LineCounts: Sendable, Equatable {
    public var packets = 0
    public var lines = 0
    public var badLines = 0
    public var droppedOverQuota = 0
    public var serviceChecks = 0
    public var events = 0

    public init() {}

    static func += (total: inout LineCounts, more: LineCounts) {
        total.packets += more.packets
        total.lines += more.lines
        total.badLines += more.badLines
        total.droppedOverQuota += more.droppedOverQuota
        total.serviceChecks += more.serviceChecks
        total.events += more.events
    }
}
