import Foundation
import Logging
import Posix
import Synchronization
import Whisper

/// The ingest pipeline: receivers hand it batches of lines; it routes each line by token, aggregates per tenant
/// like Etsy StatsD and, every flush interval, writes the flushed series into the storage engine.
public final class StatsDIngest: Sendable {
    public struct Options: Sendable {
        public var flushInterval = 10.0
        public var idleExpiry = 3600
        public var maxKeysPerTenant = 10_000
        public var maxLinesPerSecond = 100_000
        public var percentiles: [Double] = [90]
        public init() {}
    }

    public let options: Options
    public let stats = IngestStats()
    public let directory: TokenDirectory
    let storage: WriteBackCache
    let limiter: RateLimiter
    private let logger: Logger
    private let clock: @Sendable () -> Double
    private let collectors = Mutex<[Collector]>([])
    private let states = Mutex<[String: TenantState]>([:])
    private let flushLock = Mutex(())
    private let stopping = Atomic<Bool>(false)
    private let flusherDone = DispatchSemaphore(value: 0)

    public init(
        directory: TokenDirectory, storage: WriteBackCache, options: Options = Options(), logger: Logger,
        clock: @escaping @Sendable () -> Double = { wallSeconds() }
    ) {
        self.directory = directory
        self.storage = storage
        self.options = options
        self.logger = logger
        self.clock = clock
        self.limiter = RateLimiter(linesPerSecond: options.maxLinesPerSecond)
    }

    /// A collector for one receiving thread.
    public func makeCollector() -> Collector {
        let collector = Collector()
        collectors.withLock { $0.append(collector) }
        return collector
    }

    /// Starts the flusher: every `flushInterval` seconds, and a last time on `stop()`.
    public func start() {
        startThread(named: "statsd-flusher") { [self] in
            var next = clock() + options.flushInterval
            while !stopping.load(ordering: .relaxed) {
                let wait = next - clock()
                if wait > 0 { usleep(UInt32(min(wait, 0.1) * 1_000_000)); continue }
                flush()
                next += options.flushInterval
                if next < clock() { next = clock() + options.flushInterval }
            }
            flusherDone.signal()
        }
    }

    /// Flushes what was aggregated, then stops the flusher. Receivers must be stopped first.
    public func stop() {
        stopping.store(true, ordering: .relaxed)
        flusherDone.wait()
        flush()
    }

    /// Takes every collector's buckets and writes one flush at the current time.
    public func flush() {
        flushLock.withLock { _ in
            let started = monotonicSeconds()
            let now = Int(clock().rounded())
            var merged: [String: Bucket] = [:]
            for collector in collectors.withLock({ $0 }) {
                for (tenant, bucket) in collector.take() { merged[tenant, default: Bucket()].merge(bucket) }
            }
            var written = 0
            let flushed = states.withLock { states -> [(String, [(String, Double)])] in
                var out: [(String, [(String, Double)])] = []
                for tenant in Set(states.keys).union(merged.keys) {
                    var state = states[tenant] ?? TenantState()
                    let series = state.flush(
                        merged[tenant] ?? Bucket(), now: now, interval: options.flushInterval, idleExpiry: options.idleExpiry,
                        maxKeys: options.maxKeysPerTenant, percentiles: options.percentiles)
                    if state.isExpired(now: now, idleExpiry: options.idleExpiry) {
                        states.removeValue(forKey: tenant)
                    } else {
                        states[tenant] = state
                        out.append((tenant, series))
                    }
                }
                return out
            }
            for (tenant, series) in flushed {
                written += storage.add(tenant: tenant, flush: series.map { ($0.0, Point(now, $0.1)) })
            }
            stats.flushes.add(1, ordering: .relaxed)
            stats.pointsFlushed.add(written, ordering: .relaxed)
            stats.lastFlushMicros.store(Int((monotonicSeconds() - started) * 1e6), ordering: .relaxed)
        }
    }

    /// The tenant's totals since start (lines, bad lines, drops, keys), for the account page.
    public func usage(tenant: String) -> TenantState.Usage {
        states.withLock { $0[tenant]?.usage ?? TenantState.Usage() }
    }

    var now: Int { Int(clock()) }
}
