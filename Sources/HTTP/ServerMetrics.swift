import Posix
import Synchronization

/// Counters of the HTTP server, read by `/metrics`. Hot-path updates are atomics or an uncontended lock.
public final class ServerMetrics: Sendable {
    public let capacity: Int
    private let open = Atomic<Int>(0)
    private let highWater = Atomic<Int>(0)
    private let refused = Atomic<Int>(0)
    /// What one event loop counts of the answers on its connections (its pool jobs' included): one table per loop,
    /// so that loops never wait on each other's counting, and one lock a request.
    final class LoopTallies: Sendable {
        fileprivate typealias Tallies = (statuses: [Int: Int], durations: [RouteKey: DurationHistogram])
        private let tallies = Mutex<Tallies>(([:], [:]))

        /// An answer sent; `timing` when a handler made it (not for a malformed request or a refusal).
        func count(status: Int, timing: RequestTiming?) {
            let took = timing.map { (key: $0.key, seconds: monotonicSeconds() - $0.received) }
            tallies.withLock { t in
                t.statuses[status, default: 0] += 1
                if let took { t.durations[took.key, default: DurationHistogram()].record(took.seconds) }
            }
        }

        fileprivate var snapshot: Tallies { tallies.withLock { $0 } }
    }

    private let tables = Mutex<[LoopTallies]>([])

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
    func makeLoopTallies() -> LoopTallies {
        let table = LoopTallies()
        tables.withLock { $0.append(table) }
        return table
    }

    public var openConnections: Int { open.load(ordering: .relaxed) }
    public var highWaterMark: Int { highWater.load(ordering: .relaxed) }
    public var refusedConnections: Int { refused.load(ordering: .relaxed) }
    public var requestsByStatus: [Int: Int] { summed(\.statuses, +) }

    /// How long requests took, from arrival (`Connection.lastArrival`) to answer handed to the socket, by route.
    public var requestDurations: [RouteKey: DurationHistogram] { summed(\.durations, +) }

    /// One of the loops' tables, summed over the loops.
    private func summed<Key, Value>(_ part: (LoopTallies.Tallies) -> [Key: Value], _ add: (Value, Value) -> Value) -> [Key: Value] {
        tables.withLock { $0 }.reduce(into: [:]) { total, table in total.merge(part(table.snapshot), uniquingKeysWith: add) }
    }
}

/// A route's name and where its handler runs: what request durations are counted by.
public struct RouteKey: Hashable, Sendable {
    public let route: String
    public let placement: HandlerPlacement

    /// The requests no route takes (404s and 405s), all under one key.
    static let unmatched = RouteKey(route: "unmatched", placement: .eventLoop)
    /// The requests the router's fallback answers (static files).
    static let staticFiles = RouteKey(route: "static", placement: .eventLoop)
}

/// A request's route and when it arrived (monotonic seconds): its duration is taken when the answer is handed
/// to the socket.
struct RequestTiming: Sendable {
    let key: RouteKey
    let received: Double
}

/// Durations counted into fixed buckets, as a Prometheus histogram exposes them. The bounds are fine around a
/// millisecond, where a render's time lies (1.5 ms tells a p99 near a 2 ms goal from one well under it), and
/// reach ten seconds for the slowest.
public struct DurationHistogram: Sendable {
    /// The buckets' upper bounds in seconds; one more bucket counts what is above the last.
    public static let bounds: [Double] = [0.0001, 0.00025, 0.0005, 0.001, 0.0015, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]
    /// Per bucket, not cumulative: `counts[i]` counts durations above `bounds[i - 1]` and at most `bounds[i]`.
    public private(set) var counts = [Int](repeating: 0, count: bounds.count + 1)
    public private(set) var sum = 0.0

    init() {}

    public var count: Int { counts.reduce(0, +) }

    mutating func record(_ seconds: Double) {
        counts[Self.bounds.firstIndex { seconds <= $0 } ?? Self.bounds.count] += 1
        sum += seconds
    }

    static func + (a: DurationHistogram, b: DurationHistogram) -> DurationHistogram {
        var merged = a
        for i in merged.counts.indices { merged.counts[i] += b.counts[i] }
        merged.sum += b.sum
        return merged
    }
}
