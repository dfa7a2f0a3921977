import Synchronization

/// Counters of the HTTP server, read by `/metrics`. Hot-path updates are atomics or an uncontended lock.
public final class ServerMetrics: Sendable {
    public let capacity: Int
    private let open = Atomic<Int>(0)
    private let highWater = Atomic<Int>(0)
    private let refused = Atomic<Int>(0)
    private let byStatus = Mutex<[Int: Int]>([:])

    public init(capacity: Int) { self.capacity = capacity }

    /// Claims a connection slot; false when the cap is reached (the caller refuses it).
    func claimConnection() -> Bool {
        let now = open.add(1, ordering: .relaxed).newValue
        if now > capacity {
            open.subtract(1, ordering: .relaxed)
            refused.add(1, ordering: .relaxed)
            return false
        }
        var seen = highWater.load(ordering: .relaxed)
        while now > seen {
            let (exchanged, original) = highWater.compareExchange(expected: seen, desired: now, ordering: .relaxed)
            if exchanged { break }
            seen = original
        }
        return true
    }

    func releaseConnection() { open.subtract(1, ordering: .relaxed) }

    func count(status: Int) { byStatus.withLock { $0[status, default: 0] += 1 } }

    public var openConnections: Int { open.load(ordering: .relaxed) }
    public var highWaterMark: Int { highWater.load(ordering: .relaxed) }
    public var refusedConnections: Int { refused.load(ordering: .relaxed) }
    public var requestsByStatus: [Int: Int] { byStatus.withLock { $0 } }
}
