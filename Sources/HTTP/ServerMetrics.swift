import Synchronization

/// Counters of the HTTP server, read by `/metrics`. Hot-path updates are atomics or an uncontended lock.
public final class ServerMetrics: Sendable {
    public let capacity: Int
    private let open = Atomic<Int>(0)
    private let highWater = Atomic<Int>(0)
    private let refused = Atomic<Int>(0)
    /// Responses by status, one table per event loop so that loops never wait on each other's counting.
    final class StatusCounts: Sendable {
        let counts = Mutex<[Int: Int]>([:])
    }

    private let tables = Mutex<[StatusCounts]>([])

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

    /// A table for one event loop to count in.
    func makeStatusCounts() -> StatusCounts {
        let table = StatusCounts()
        tables.withLock { $0.append(table) }
        return table
    }

    public var openConnections: Int { open.load(ordering: .relaxed) }
    public var highWaterMark: Int { highWater.load(ordering: .relaxed) }
    public var refusedConnections: Int { refused.load(ordering: .relaxed) }
    public var requestsByStatus: [Int: Int] {
        tables.withLock { $0 }.reduce(into: [:]) { total, table in
            total.merge(table.counts.withLock { $0 }, uniquingKeysWith: +)
        }
    }
}
