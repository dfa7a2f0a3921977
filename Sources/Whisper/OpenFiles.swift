import Posix
import Synchronization

/// A bounded set of open Whisper files, least recently used closed first. A file in use by another thread
/// stays open until that thread lets go of it (files close when their last reference goes).
final class OpenFiles: Sendable {
    private struct State {
        var files: [String: (file: WhisperFile, lastUse: UInt64)] = [:]
        var tick: UInt64 = 0
        /// Headers and base intervals of files closed to make room, so reopening them reads nothing.
        var closed: [String: WhisperFile.Remembered] = [:]
    }

    /// How many closed files are remembered before the memory is given back.
    private static let maxRemembered = 100_000

    /// One lock per shard: many reader and writer threads look files up at once.
    private final class Shard: Sendable {
        let state = Mutex(State())
    }

    private let capacity: Int
    private let shards: [Shard]

    init(capacity: Int, shards: Int = 32) {
        self.shards = (0..<shards).map { _ in Shard() }
        self.capacity = max(1, capacity / shards)
    }

    var count: Int { shards.reduce(0) { total, shard in total + shard.state.withLock { $0.files.count } } }

    private func shard(_ path: String) -> Shard { shards[Int(UInt(bitPattern: path.hashValue) % UInt(shards.count))] }

    /// The open file at `path`, opening it when needed; nil when there is no such file.
    func file(at path: String) throws(WhisperError) -> WhisperFile? {
        if let file = touch(path) { return file }
        do {
            let file = try WhisperFile.open(path, writable: true, remembered: shard(path).state.withLock { $0.closed[path] })
            insert(file)
            return file
        } catch .notFound {
            return nil
        }
    }

    /// Creates the file (and its directories) when absent, then returns it open.
    func create(at path: String, header: () -> WhisperHeader) throws(WhisperError) -> WhisperFile {
        if let file = try file(at: path) { return file }
        let directory = String(path[..<path.lastIndex(of: "/")!])
        do { try File.makeDirectories(directory) } catch { throw .io(path: directory, error: error.description) }
        let file: WhisperFile
        let header = header()
        do {
            file = try WhisperFile.create(
                path, retentions: header.archives.map { Retention(secondsPerPoint: $0.secondsPerPoint, points: $0.points) },
                aggregation: header.aggregation, xFilesFactor: header.xFilesFactor)
        } catch .exists {
            return try self.file(at: path)!
        }
        insert(file)
        return file
    }

    func removeAll() {
        for shard in shards {
            shard.state.withLock {
                $0.files.removeAll()
                $0.closed.removeAll()
            }
        }
    }

    private func touch(_ path: String) -> WhisperFile? {
        shard(path).state.withLock { s in
            guard let index = s.files.index(forKey: path) else { return nil }
            s.tick += 1
            s.files.values[index].lastUse = s.tick
            return s.files.values[index].file
        }
    }

    private func insert(_ file: WhisperFile) {
        shard(file.path).state.withLock { s in
            s.tick += 1
            s.files[file.path] = (file, s.tick)
            // Past capacity the least recently used eighth goes at once: one sort per many inserts.
            if s.files.count > capacity {
                let victims = s.files.sorted { $0.value.lastUse < $1.value.lastUse }.prefix(max(1, capacity / 8))
                if s.closed.count > Self.maxRemembered { s.closed.removeAll() }
                for (path, entry) in victims {
                    s.closed[path] = entry.file.remembered
                    s.files.removeValue(forKey: path)
                }
            }
        }
    }
}
