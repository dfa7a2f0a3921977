import Posix
import Synchronization

/// A bounded set of open Whisper files; past the bound a file not used lately is closed (the clock algorithm,
/// close to least-recently-used at O(1) per open). A file in use by another thread
/// stays open until that thread lets go of it (files close when their last reference goes).
final class OpenFiles: Sendable {
    /// One slot of the clock: a file and whether it was used again since it was opened or the hand last passed it.
    private struct Slot {
        let file: WhisperFile
        var referenced: Bool
    }

    /// The files of a shard on a clock (second chance): a used file is passed over once before it is closed.
    private struct State {
        var slots: [Slot] = []
        var index: [String: Int] = [:]
        var hand = 0
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

    var count: Int { shards.reduce(0) { total, shard in total + shard.state.withLock { $0.slots.count } } }

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
                $0 = State()
            }
        }
    }

    private func touch(_ path: String) -> WhisperFile? {
        shard(path).state.withLock { s in
            guard let i = s.index[path] else { return nil }
            s.slots[i].referenced = true
            return s.slots[i].file
        }
    }

    private func insert(_ file: WhisperFile) {
        shard(file.path).state.withLock { s in
            if let i = s.index[file.path] {
                s.slots[i] = Slot(file: file, referenced: false)
                return
            }
            guard s.slots.count >= capacity else {
                s.index[file.path] = s.slots.count
                s.slots.append(Slot(file: file, referenced: false))
                return
            }
            while s.slots[s.hand].referenced {
                s.slots[s.hand].referenced = false
                s.hand = (s.hand + 1) % s.slots.count
            }
            let victim = s.slots[s.hand].file
            if s.closed.count > Self.maxRemembered { s.closed.removeAll() }
            s.closed[victim.path] = victim.remembered
            s.index[victim.path] = nil
            s.index[file.path] = s.hand
            s.slots[s.hand] = Slot(file: file, referenced: false)
            s.hand = (s.hand + 1) % s.slots.count
        }
    }
}
