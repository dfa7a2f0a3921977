import Synchronization

/// Service-wide ingest counters for `/metrics`: relaxed atomics, bumped once per batch.
public final class IngestStats: Sendable {
    public let packets = Atomic<Int>(0)
    public let lines = Atomic<Int>(0)
    public let badLines = Atomic<Int>(0)
    public let unknownTokens = Atomic<Int>(0)
    public let droppedOverQuota = Atomic<Int>(0)
    public let serviceChecks = Atomic<Int>(0)
    public let events = Atomic<Int>(0)
    public let flushes = Atomic<Int>(0)
    /// Duration of the last flush, microseconds.
    public let lastFlushMicros = Atomic<Int>(0)
    public let pointsFlushed = Atomic<Int>(0)

    public init() {}
}

/// One receiving thread's buckets per tenant. The thread takes the lock once per batch; the flusher swaps it out.
public final class Collector: Sendable {
    let buckets = Mutex<[String: Bucket]>([:])

    func take() -> [String: Bucket] {
        buckets.withLock { all in
            defer { all.removeAll(keepingCapacity: true) }
            return all
        }
    }
}

/// Lines per second per tenant across all receivers, asked once per batch per tenant, not per line.
public final class RateLimiter: Sendable {
    public let linesPerSecond: Int
    private let windows = Mutex<[String: (second: Int, used: Int)]>([:])

    public init(linesPerSecond: Int) { self.linesPerSecond = linesPerSecond }

    /// How many of `count` lines `tenant` may send in second `now`.
    func admit(_ tenant: String, count: Int, now: Int) -> Int {
        windows.withLock { all in
            var window = all[tenant] ?? (now, 0)
            if window.second != now { window = (now, 0) }
            let allowed = max(0, min(count, linesPerSecond - window.used))
            window.used += allowed
            all[tenant] = window
            if all.count > 100_000 { all = all.filter { $0.value.second == now } }
            return allowed
        }
    }
}
