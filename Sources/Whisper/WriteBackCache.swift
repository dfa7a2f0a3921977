import Foundation
import Posix
import Synchronization

/// Buffers points per series and writes them in batches from writer threads; reads see buffered points too.
///
/// Series are spread over shards; each shard belongs to one writer thread, so one series is only ever written
/// by one thread and in arrival order. Past `maxBufferedPoints` new points are dropped and counted (ingest
/// never blocks on the disk). `stop()` writes everything buffered before it returns.
public final class WriteBackCache: Sendable {
    public struct Options: Sendable {
        public var maxBufferedPoints = 20_000_000
        public var writerThreads = 2
        /// Seconds a shard's first waiting point waits before a writer takes the shard (0: at once). A burst of
        /// flushes then reaches disk in fewer, larger writes: one positioned write per series for many points
        /// instead of one per point. Reads see waiting points all the same; `stop()` writes them at once, and so
        /// does a cache past half its budget. The service keeps it within a quarter of the flush interval.
        public var writeDelay = 1.0
        /// Files kept open between writes. The default is what the process may open (its soft limit raised to the
        /// hard one) less room for sockets, capped at 200,000.
        public var maxOpenFiles = min(200_000, max(64, File.raiseOpenFileLimit() - 4096))
        public init() {}
    }

    /// A series of a tenant, hashed once: the hash picks the shard and serves the shard's dictionary.
    struct SeriesKey: Hashable, Sendable {
        let tenant: String
        let series: String
        let hash: Int

        init(tenant: String, series: String, hash: Int? = nil) {
            self.tenant = tenant
            self.series = series
            self.hash = hash ?? Self.hash(tenant: tenant, series: series)
        }

        static func hash(tenant: String, series: String) -> Int {
            var hasher = Hasher()
            hasher.combine(tenant)
            hasher.combine(series)
            return hasher.finalize()
        }

        func hash(into hasher: inout Hasher) { hasher.combine(hash) }

        static func == (a: SeriesKey, b: SeriesKey) -> Bool { a.hash == b.hash && a.series == b.series && a.tenant == b.tenant }
    }

    private struct Shard {
        var pending: [SeriesKey: [Point]] = [:]
        /// Taken by the writer and being written: still visible to reads.
        var writing: [SeriesKey: [Point]] = [:]
        /// When `pending` last went from empty to holding points (monotonic seconds).
        var pendingSince = 0.0

        /// Buffers points of a series; false when its name is invalid. A name is checked when the series enters
        /// `pending`, not again for each point while it waits there.
        mutating func append(_ points: some Collection<Point>, to key: SeriesKey) -> Bool {
            if let index = pending.index(forKey: key) {
                pending.values[index].append(contentsOf: points)
                return true
            }
            guard (try? SeriesPaths.validate(key.series)) != nil else { return false }
            if pending.isEmpty { pendingSince = monotonicSeconds() }
            pending[key] = Array(points)
            return true
        }
    }

    public let paths: SeriesPaths
    public let rules: StorageRules
    public let options: Options
    public let stats = CacheStats()
    /// A shard's lock in a class, since arrays cannot hold a `Mutex` directly.
    private final class ShardBox: Sendable {
        let lock = Mutex(Shard())
    }

    private let shards: [ShardBox]
    private let files: OpenFiles
    private let clock: @Sendable () -> Int
    private let stopping = Atomic<Bool>(false)
    private let finished = DispatchGroup()
    private let onError: @Sendable (String) -> Void

    public init(
        paths: SeriesPaths, rules: StorageRules = .standard, options: Options = Options(),
        clock: @escaping @Sendable () -> Int = { Int(wallSeconds()) }, onError: @escaping @Sendable (String) -> Void = { _ in }
    ) {
        self.paths = paths
        self.rules = rules
        self.options = options
        self.clock = clock
        self.onError = onError
        self.files = OpenFiles(capacity: options.maxOpenFiles)
        self.shards = (0..<64).map { _ in ShardBox() }
    }

    /// Starts the writer threads.
    public func start() {
        let writers = max(1, options.writerThreads)
        for w in 0..<writers {
            finished.enter()
            startThread(named: "whisper-write-\(w)") { [self] in
                writeLoop(shardIndices: Array(stride(from: w, to: shards.count, by: writers)))
                finished.leave()
            }
        }
    }

    /// Writes everything buffered, then stops the writers.
    public func stop() {
        stopping.store(true, ordering: .sequentiallyConsistent)
        finished.wait()
        files.removeAll()
    }

    /// Buffers points of one series. Returns false (and counts the drop) for an invalid name or past the budget.
    @discardableResult
    public func add(tenant: String, series: String, points: [Point]) -> Bool {
        guard !points.isEmpty else { return true }
        guard (try? SeriesPaths.validate(tenant: tenant)) != nil else {
            stats.invalid.add(points.count, ordering: .relaxed)
            return false
        }
        let allowed = reserve(points.count)
        guard allowed == points.count else {
            stats.buffered.subtract(allowed, ordering: .relaxed)
            stats.dropped.add(allowed, ordering: .relaxed)
            return false
        }
        let key = SeriesKey(tenant: tenant, series: series)
        guard shards[shardIndex(key)].lock.withLock({ $0.append(points, to: key) }) else {
            stats.buffered.subtract(points.count, ordering: .relaxed)
            stats.invalid.add(points.count, ordering: .relaxed)
            return false
        }
        return true
    }

    /// Buffers one flush of a tenant: one point per series. Returns how many were taken; the rest were invalid
    /// names or past the budget (the flush's last points), and are counted as such.
    @discardableResult
    public func add(tenant: String, flush: [(series: String, point: Point)]) -> Int {
        guard (try? SeriesPaths.validate(tenant: tenant)) != nil else {
            stats.invalid.add(flush.count, ordering: .relaxed)
            return 0
        }
        let allowed = reserve(flush.count)
        // A large flush is spread over two threads: both hash half the names, then each buffers the series of half
        // the shards (so a series' points keep their order).
        let workers = allowed >= 20_000 ? 2 : 1
        let hashes = [Int](unsafeUninitializedCapacity: allowed) { buffer, count in
            nonisolated(unsafe) let out = buffer
            DispatchQueue.concurrentPerform(iterations: workers) { w in
                for i in stride(from: w, to: allowed, by: workers) { out[i] = SeriesKey.hash(tenant: tenant, series: flush[i].series) }
            }
            count = allowed
        }
        let accepted = Atomic<Int>(0)
        DispatchQueue.concurrentPerform(iterations: workers) { w in
            var mine = 0
            for i in 0..<allowed {
                let shard = shardIndex(hashes[i])
                guard shard % workers == w else { continue }
                let key = SeriesKey(tenant: tenant, series: flush[i].series, hash: hashes[i])
                if shards[shard].lock.withLock({ $0.append(CollectionOfOne(flush[i].point), to: key) }) { mine += 1 }
            }
            accepted.add(mine, ordering: .relaxed)
        }
        let taken = accepted.load(ordering: .relaxed)
        if taken < allowed {
            stats.buffered.subtract(allowed - taken, ordering: .relaxed)
            stats.invalid.add(allowed - taken, ordering: .relaxed)
        }
        return taken
    }

    /// Takes room for `count` points in the budget; returns how many fit (the rest are counted as dropped).
    private func reserve(_ count: Int) -> Int {
        let over = stats.buffered.add(count, ordering: .relaxed).newValue - options.maxBufferedPoints
        guard over > 0 else { return count }
        let refused = min(count, over)
        stats.buffered.subtract(refused, ordering: .relaxed)
        stats.dropped.add(refused, ordering: .relaxed)
        return count - refused
    }

    /// whisper.fetch over the file merged with the buffered points (which win in the finest archive).
    /// Nil when the series has neither a file nor buffered points, or the range holds nothing.
    public func fetch(tenant: String, series: String, from: Int, until: Int, now: Int) throws(WhisperError) -> FetchResult? {
        let path = try paths.path(tenant: tenant, series: series)
        let key = SeriesKey(tenant: tenant, series: series)
        let buffered = shards[shardIndex(key)].lock.withLock { ($0.writing[key] ?? []) + ($0.pending[key] ?? []) }
        let file = try files.file(at: path)
        if file == nil && buffered.isEmpty { throw .notFound(path: path) }
        return try Self.merged(file: file, header: file?.header ?? rules.header(for: series), buffered: buffered, from: from, until: until, now: now)
    }

    static func merged(file: WhisperFile?, header: WhisperHeader, buffered: [Point], from: Int, until: Int, now: Int) throws(WhisperError) -> FetchResult? {
        guard let (index, from, until) = try header.plan(from: from, until: until, now: now) else { return nil }
        var result = try file?.fetch(archive: index, from: from, until: until) ?? header.emptyFetch(archive: index, from: from, until: until)
        guard index == 0, !buffered.isEmpty else { return result }
        // Buffered points land as whisper will write them: per slot the latest timestamp, the first of equal ones.
        var latest: [Int: Point] = [:]
        for p in buffered {
            let slot = floorDiv(p.timestamp - result.from + result.step, result.step) - 1
            guard slot >= 0 && slot < result.values.count, now - p.timestamp <= header.archives[0].retention else { continue }
            if let seen = latest[slot], seen.timestamp >= p.timestamp { continue }
            latest[slot] = p
        }
        for (slot, p) in latest { result.values[slot] = p.value }
        return result
    }

    // MARK: - Writing

    private func writeLoop(shardIndices: [Int]) {
        while true {
            var wrote = false
            for i in shardIndices {
                let batch = takeDue(shards[i])
                guard !batch.isEmpty else { continue }
                wrote = true
                let now = clock()
                var count = 0
                for (key, points) in batch {
                    write(key, points, now: now)
                    count += points.count
                }
                shards[i].lock.withLock { $0.writing = [:] }
                stats.buffered.subtract(count, ordering: .relaxed)
            }
            if !wrote {
                if stopping.load(ordering: .sequentiallyConsistent) && !shardIndices.contains(where: { i in shards[i].lock.withLock { !$0.pending.isEmpty } }) { return }
                usleep(10_000)
            }
        }
    }

    /// A shard's waiting points once they are due (see `Options.writeDelay`), moved to `writing`; empty otherwise.
    private func takeDue(_ box: ShardBox) -> [SeriesKey: [Point]] {
        let urgent = stopping.load(ordering: .sequentiallyConsistent)
            || stats.buffered.load(ordering: .relaxed) > options.maxBufferedPoints / 2
        return box.lock.withLock { shard in
            guard !shard.pending.isEmpty, urgent || monotonicSeconds() - shard.pendingSince >= options.writeDelay else { return [:] }
            shard.writing = shard.pending
            shard.pending = [:]
            return shard.writing
        }
    }

    private func write(_ key: SeriesKey, _ points: [Point], now: Int) {
        do {
            let path = paths.validatedPath(tenant: key.tenant, series: key.series)
            let file = try files.create(at: path) { rules.header(for: key.series) }
            try file.updateMany(points, now: now)
            stats.written.add(points.count, ordering: .relaxed)
            stats.seriesWrites.add(1, ordering: .relaxed)
        } catch {
            stats.errors.add(1, ordering: .relaxed)
            stats.dropped.add(points.count, ordering: .relaxed)
            onError("cannot write \(points.count) points of \(key.series): \(error)")
        }
    }

    private func shardIndex(_ key: SeriesKey) -> Int { shardIndex(key.hash) }

    private func shardIndex(_ hash: Int) -> Int { Int(UInt(bitPattern: hash) % UInt(shards.count)) }

    public var openFiles: Int { files.count }
}

/// The cache's counters, for `/metrics`.
public final class CacheStats: Sendable {
    public let buffered = Atomic<Int>(0)
    public let written = Atomic<Int>(0)
    public let dropped = Atomic<Int>(0)
    public let invalid = Atomic<Int>(0)
    public let errors = Atomic<Int>(0)
    /// Batches written: one per series per writer pass (points written / this = points per write).
    public let seriesWrites = Atomic<Int>(0)
}

extension WhisperHeader {
    /// What whisper.fetch returns from an archive that holds no point yet: all nulls.
    func emptyFetch(archive index: Int, from: Int, until: Int) -> FetchResult {
        let step = archives[index].secondsPerPoint
        let fromInterval = from - floorMod(from, step) + step
        var untilInterval = until - floorMod(until, step) + step
        if fromInterval == untilInterval { untilInterval += step }
        return FetchResult(from: fromInterval, until: untilInterval, step: step, values: Array(repeating: nil, count: (untilInterval - fromInterval) / step))
    }

    /// The archive a fetch reads and the clamped range (whisper.fetch's rules), nil when nothing can be returned.
    func plan(from: Int, until: Int, now: Int) throws(WhisperError) -> (Int, Int, Int)? {
        guard from <= until else { throw .invalidTimeInterval(from: from, until: until) }
        let oldest = now - maxRetention
        if from > now || until < oldest { return nil }
        let from = max(from, oldest)
        let until = min(until, now)
        let age = now - from
        return (archives.firstIndex { $0.retention >= age } ?? archives.count - 1, from, until)
    }
}
