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

/// A receiving thread's share of the tenants' line quotas: it asks the shared limiter for lines in chunks, so the
/// lock is taken once per chunk, and remembers who is out for the rest of the second.
public struct LocalQuota {
    private var second = 0
    /// Lines granted and not yet used this second; `blocked` when the limiter had none left.
    private var left: [String: Int] = [:]
    private static let blocked = -1
    static let chunk = 512

    public init() {}

    /// Lines `tenant` may still send this second, all handed over (0 when it is out): the caller spends them and
    /// returns what is left with `giveBack`.
    mutating func lease(_ tenant: String, second now: Int, from limiter: RateLimiter) -> Int {
        if now != second {
            second = now
            left.removeAll(keepingCapacity: true)
        }
        switch left[tenant] ?? 0 {
        case Self.blocked:
            return 0
        case let remaining where remaining > 0:
            left[tenant] = 0
            return remaining
        default:
            let granted = limiter.admit(tenant, count: Self.chunk, now: now)
            left[tenant] = granted == 0 ? Self.blocked : 0
            return granted
        }
    }

    mutating func giveBack(_ tenant: String, _ unused: Int) {
        if unused > 0 { left[tenant] = unused }
    }
}
