import Posix
import Synchronization

/// One open Whisper file. Reads and writes are positioned (pread/pwrite) so readers and one writer can share it;
/// the header is read once and each archive's base interval is cached once it is known.
public final class WhisperFile: Sendable {
    public let path: String
    public let header: WhisperHeader
    let fd: FileDescriptor
    /// Each archive's first-slot interval; 0 until the archive holds a point.
    private let bases: Mutex<[Int]>

    /// The inode the file had when opened, to recognize it again (`Remembered`).
    let inode: UInt64

    private init(path: String, fd: FileDescriptor, header: WhisperHeader, inode: UInt64, bases: [Int]? = nil) {
        self.path = path
        self.fd = fd
        self.header = header
        self.inode = inode
        self.bases = Mutex(bases ?? [Int](repeating: 0, count: header.archives.count))
    }

    /// What is worth keeping of a file once it is closed, so that reopening it costs no reads.
    struct Remembered: Sendable {
        let inode: UInt64
        let header: WhisperHeader
        let bases: [Int]
    }

    var remembered: Remembered { Remembered(inode: inode, header: header, bases: bases.withLock { $0 }) }

    deinit { fd.close() }

    /// Opens and checks an existing file; a damaged header is a `.corrupt` error naming the problem.
    public static func open(_ path: String, writable: Bool = false) throws(WhisperError) -> WhisperFile {
        try open(path, writable: writable, remembered: nil)
    }

    /// Opens a file; when it is still the one `remembered` describes (same inode and size), its header and base
    /// intervals are taken from there instead of being read again.
    static func open(_ path: String, writable: Bool, remembered: Remembered?) throws(WhisperError) -> WhisperFile {
        let fd: FileDescriptor
        do { fd = try File.open(path, writable ? .readWrite : .readOnly, keepAccessTime: false) } catch {
            throw error.isNotFound ? .notFound(path: path) : .io(path: path, error: error.description)
        }
        File.adviseRandomAccess(fd)
        do {
            let (inode, size) = try File.identity(fd)
            if let remembered, remembered.inode == inode, remembered.header.fileSize == size {
                return WhisperFile(path: path, fd: fd, header: remembered.header, inode: inode, bases: remembered.bases)
            }
            let head = try File.read(fd, count: min(size, WhisperFormat.metadataSize + WhisperFormat.maxArchives * WhisperFormat.archiveInfoSize), at: 0)
            let header = try WhisperHeader.decode(head, fileSize: size)
            // The finest archive starts right after the header, so its base interval usually came with it.
            var bases = [Int](repeating: 0, count: header.archives.count)
            let first = header.archives[0].offset
            if first + WhisperFormat.pointSize <= head.count { bases[0] = Int(BigEndian.read32(head, first)) }
            return WhisperFile(path: path, fd: fd, header: header, inode: inode, bases: bases)
        } catch let problem as WhisperProblem {
            fd.close()
            throw .corrupt(path: path, problem: problem.text)
        } catch {
            fd.close()
            throw .io(path: path, error: "\(error)")
        }
    }

    /// Creates a file as whisper.create does. The file appears whole or not at all: it is written under a
    /// temporary name and linked into place, so a crash never leaves a partial header.
    public static func create(
        _ path: String, retentions: [Retention], aggregation: AggregationMethod = .average,
        xFilesFactor: Float = 0.5, sparse: Bool = true
    ) throws(WhisperError) -> WhisperFile {
        if let problem = Retention.validate(retentions) { throw .invalidConfiguration(problem) }
        guard xFilesFactor >= 0 && xFilesFactor <= 1 else { throw .invalidConfiguration("xFilesFactor \(xFilesFactor) is not between 0 and 1") }
        let header = WhisperHeader(
            retentions: retentions.sorted { $0.secondsPerPoint < $1.secondsPerPoint }, aggregation: aggregation, xFilesFactor: xFilesFactor)
        let temporary = path + ".tmp-" + String(UInt64.random(in: 0...UInt64.max), radix: 36)
        do {
            let fd = try File.open(temporary, .createExclusive)
            defer { fd.close() }
            try File.write(fd, header.encoded, at: 0)
            if sparse {
                try File.truncate(fd, to: header.fileSize)
            } else {
                try File.write(fd, [UInt8](repeating: 0, count: header.fileSize - header.size), at: header.size)
            }
            try File.link(temporary, to: path)
        } catch {
            File.remove(temporary)
            throw error.isAlreadyExists ? .exists(path: path) : .io(path: path, error: error.description)
        }
        File.remove(temporary)
        return try open(path, writable: true)
    }

    // MARK: - Raw access

    /// `count` bytes from `offset`; a file that ends before them is corrupt. Within `archive`, what lies past its
    /// end is read from its start on, as round-robin slots continue there, into the same buffer.
    func read(count: Int, at offset: Int, wrappingIn archive: ArchiveInfo? = nil) throws(WhisperError) -> [UInt8] {
        let first = archive.map { min(count, $0.end - offset) } ?? count
        let bytes: [UInt8]
        do {
            bytes = try File.bytes(count) { buffer throws(SystemError) in
                let done = try File.read(fd, into: UnsafeMutableRawBufferPointer(rebasing: buffer[..<first]), at: offset)
                guard done == first, first < count, let archive else { return done }
                return try done + File.read(fd, into: UnsafeMutableRawBufferPointer(rebasing: buffer[first...]), at: archive.offset)
            }
        } catch { throw .io(path: path, error: error.description) }
        guard bytes.count == count else { throw .corrupt(path: path, problem: "short read at byte \(offset)") }
        return bytes
    }

    func write(_ bytes: [UInt8], at offset: Int) throws(WhisperError) {
        do { try File.write(fd, bytes, at: offset) } catch { throw .io(path: path, error: error.description) }
    }

    /// The interval in an archive's first slot (0 when the archive is still empty).
    func baseInterval(_ index: Int) throws(WhisperError) -> Int {
        let cached = bases.withLock { $0[index] }
        if cached != 0 { return cached }
        let bytes = try read(count: WhisperFormat.pointSize, at: header.archives[index].offset)
        let base = Int(BigEndian.read32(bytes, 0))
        if base != 0 { bases.withLock { $0[index] = base } }
        return base
    }

    func noteBase(_ index: Int, _ interval: Int) {
        bases.withLock { $0[index] = interval }
    }

    /// The byte offset of `interval`'s slot in an archive whose first slot holds `base`.
    func slotOffset(_ archive: ArchiveInfo, interval: Int, base: Int) -> Int {
        archive.offset + floorMod(floorDiv(interval - base, archive.secondsPerPoint) * WhisperFormat.pointSize, archive.size)
    }

    /// Reads `count` consecutive slots starting at byte `offset`, wrapping at the archive's end.
    func readSlots(_ archive: ArchiveInfo, from offset: Int, count: Int) throws(WhisperError) -> [UInt8] {
        try read(count: count * WhisperFormat.pointSize, at: offset, wrappingIn: archive)
    }

    /// `count` consecutive slots from `interval`'s, in an archive whose first slot holds `base`. Slots of intervals
    /// older than the base sit at the archive's end, and in a young sparse file they are a hole: that part is answered
    /// with zeros without reading it, since reading a hole makes the kernel fill a fresh page with zeros.
    func readSlots(_ archive: ArchiveInfo, fromInterval interval: Int, count: Int, base: Int) throws(WhisperError) -> [UInt8] {
        let offset = slotOffset(archive, interval: interval, base: base)
        let early = interval < base ? min(count, (base - interval) / archive.secondsPerPoint) : 0
        let earlyBytes = early * WhisperFormat.pointSize
        guard early > 0, offset + earlyBytes <= archive.end, File.isHole(fd, at: offset, count: earlyBytes) else {
            return try readSlots(archive, from: offset, count: count)
        }
        var bytes = [UInt8](repeating: 0, count: earlyBytes)
        if early < count {
            let rest = interval + early * archive.secondsPerPoint
            bytes += try readSlots(archive, from: slotOffset(archive, interval: rest, base: base), count: count - early)
        }
        return bytes
    }

    /// Writes packed points into consecutive slots from byte `offset`, wrapping at the archive's end.
    func writeSlots(_ archive: ArchiveInfo, _ packed: [UInt8], at offset: Int) throws(WhisperError) {
        var packed = packed[...]
        var offset = offset
        while !packed.isEmpty {
            let room = archive.end - offset
            try write(Array(packed.prefix(room)), at: offset)
            packed = packed.dropFirst(room)
            offset = archive.offset
        }
    }

    /// Every slot of archive `index`, as stored (timestamp 0 for a never-written slot).
    public func rawPoints(archive index: Int) throws(WhisperError) -> [Point] {
        let archive = header.archives[index]
        let bytes = try read(count: archive.size, at: archive.offset)
        return stride(from: 0, to: bytes.count, by: WhisperFormat.pointSize).map {
            let (t, v) = BigEndian.point(bytes, $0)
            return Point(t, v)
        }
    }
}
