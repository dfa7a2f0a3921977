import CLinux
import Glibc

/// Regular files: open, positioned reads and writes, size, truncate, sync and atomic rename.
public enum File {
    public enum Mode: Sendable {
        case readOnly
        case readWrite
        /// Create a new file; fails when it exists.
        case createExclusive
    }

    /// Opens a file. With `keepAccessTime: false` reads do not update its access time (`O_NOATIME`, which only
    /// the file's owner may ask for; for anyone else the flag is left out).
    public static func open(_ path: String, _ mode: Mode, keepAccessTime: Bool = true) throws(SystemError) -> FileDescriptor {
        let flags: Int32 =
            switch mode {
            case .readOnly: O_RDONLY
            case .readWrite: O_RDWR
            case .createExclusive: O_RDWR | O_CREAT | O_EXCL
            }
        let fd = try blockingSyscall("open(\(path))") {
            if !keepAccessTime {
                let fd = Glibc.open(path, flags | O_CLOEXEC | cl_o_noatime, 0o644)
                if fd >= 0 || cl_errno() != EPERM { return fd }
            }
            return Glibc.open(path, flags | O_CLOEXEC, 0o644)
        }
        return FileDescriptor(rawValue: fd)
    }

    /// Tells the kernel the file is read at random places: a read brings in only the pages it asks for.
    public static func adviseRandomAccess(_ fd: FileDescriptor) {
        _ = posix_fadvise(fd.rawValue, 0, 0, POSIX_FADV_RANDOM)
    }

    /// True when the `count` bytes at `offset` are a hole of a sparse file (never written, read as zeros). False when
    /// they hold data or it cannot be told.
    public static func isHole(_ fd: FileDescriptor, at offset: Int, count: Int) -> Bool {
        let data = lseek(fd.rawValue, off_t(offset), cl_seek_data)
        return data < 0 ? cl_errno() == ENXIO : Int(data) >= offset + count
    }

    /// Reads exactly `count` bytes at `offset`; fewer only at end of file.
    public static func read(_ fd: FileDescriptor, count: Int, at offset: Int) throws(SystemError) -> [UInt8] {
        try bytes(count) { buffer throws(SystemError) in try read(fd, into: buffer, at: offset) }
    }

    /// Fills `buffer` with the bytes at `offset`; stops short only at end of file. Returns how many it read.
    public static func read(_ fd: FileDescriptor, into buffer: UnsafeMutableRawBufferPointer, at offset: Int) throws(SystemError) -> Int {
        var done = 0
        while done < buffer.count {
            let n = pread(fd.rawValue, buffer.baseAddress! + done, buffer.count - done, off_t(offset + done))
            if n < 0 && cl_errno() == EINTR { continue }
            if n < 0 { throw SystemError(call: "pread", errno: cl_errno()) }
            if n == 0 { break }
            done += n
        }
        return done
    }

    /// At most `count` bytes, as many as `fill` says it wrote into their uninitialized memory: zeroing a render's
    /// 100 KB first only to overwrite it cost a pass over it.
    public static func bytes(_ count: Int, _ fill: (UnsafeMutableRawBufferPointer) throws(SystemError) -> Int) throws(SystemError) -> [UInt8] {
        var failure: SystemError?
        let bytes = [UInt8](unsafeUninitializedCapacity: count) { buffer, done in
            do throws(SystemError) { done = try fill(UnsafeMutableRawBufferPointer(buffer)) } catch { failure = error }
        }
        if let failure { throw failure }
        return bytes
    }

    /// Writes all of `bytes` at `offset`.
    public static func write(_ fd: FileDescriptor, _ bytes: [UInt8], at offset: Int) throws(SystemError) {
        let failure = bytes.withUnsafeBytes { buffer -> Int32 in
            var done = 0
            while done < buffer.count {
                let n = pwrite(fd.rawValue, buffer.baseAddress! + done, buffer.count - done, off_t(offset + done))
                if n < 0 && cl_errno() == EINTR { continue }
                if n < 0 { return cl_errno() }
                done += n
            }
            return 0
        }
        if failure != 0 { throw SystemError(call: "pwrite", errno: failure) }
    }

    public static func size(_ fd: FileDescriptor) throws(SystemError) -> Int {
        try identity(fd).size
    }

    /// The file's inode and size: enough to tell whether a path still names the file seen before.
    public static func identity(_ fd: FileDescriptor) throws(SystemError) -> (inode: UInt64, size: Int) {
        var info = stat()
        _ = try blockingSyscall("fstat") { fstat(fd.rawValue, &info) }
        return (UInt64(info.st_ino), Int(info.st_size))
    }

    /// Sets the file's length; growing it leaves a hole (a sparse file).
    public static func truncate(_ fd: FileDescriptor, to length: Int) throws(SystemError) {
        _ = try blockingSyscall("ftruncate") { ftruncate(fd.rawValue, off_t(length)) }
    }

    /// Atomically replaces `to` with `from` (same file system).
    public static func rename(_ from: String, to: String) throws(SystemError) {
        _ = try blockingSyscall("rename(\(from))") { Glibc.rename(from, to) }
    }

    public static func remove(_ path: String) {
        _ = unlink(path)
    }

    public static func exists(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0
    }

    /// Bytes the file really occupies on disk (less than its size when sparse).
    public static func allocatedBytes(_ path: String) -> Int {
        var info = stat()
        guard stat(path, &info) == 0 else { return 0 }
        return Int(info.st_blocks) * 512
    }

    /// Creates `path` and its parents (mode 0755); existing directories are fine.
    public static func makeDirectories(_ path: String) throws(SystemError) {
        var prefix = path.hasPrefix("/") ? "" : "."
        for part in path.split(separator: "/") {
            prefix += "/" + part
            if mkdir(prefix, 0o755) != 0 && cl_errno() != EEXIST {
                throw SystemError(call: "mkdir(\(prefix))", errno: cl_errno())
            }
        }
    }
}

extension File {
    /// Gives `existing` a second name `new`; fails with EEXIST when `new` exists (an atomic create-if-absent).
    public static func link(_ existing: String, to new: String) throws(SystemError) {
        _ = try blockingSyscall("link(\(new))") { Glibc.link(existing, new) }
    }
}

extension File {
    /// The number at the start of a small file such as `/proc/sys/fs/nr_open`.
    static func readNumber(_ path: String) -> UInt64? {
        guard let fd = try? open(path, .readOnly) else { return nil }
        defer { fd.close() }
        guard let bytes = try? read(fd, count: 32, at: 0) else { return nil }
        return UInt64(String(decoding: bytes.prefix { $0 >= 48 && $0 <= 57 }, as: UTF8.self))
    }

    /// Raises the limit on open files as far as the system allows: the hard limit to `fs.nr_open` where the
    /// process may (root, CAP_SYS_RESOURCE), the soft limit to the hard one. Returns the new soft limit.
    @discardableResult
    public static func raiseOpenFileLimit() -> Int {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return 1024 }
        if let ceiling = readNumber("/proc/sys/fs/nr_open").map(rlim_t.init), ceiling > limit.rlim_max {
            var raised = limit
            raised.rlim_max = ceiling
            raised.rlim_cur = ceiling
            if setrlimit(Int32(RLIMIT_NOFILE.rawValue), &raised) == 0 { limit = raised }
        }
        if limit.rlim_cur < limit.rlim_max {
            var raised = limit
            raised.rlim_cur = limit.rlim_max
            if setrlimit(Int32(RLIMIT_NOFILE.rawValue), &raised) == 0 { limit = raised }
        }
        return Int(clamping: limit.rlim_cur)
    }
}

extension File {
    /// The entries of a directory (not `.` and `..`) with whether each is a directory, from `readdir`'s `d_type`
    /// (a `stat` only where the file system does not say). Empty when the directory cannot be read.
    public static func listDirectory(_ path: String) -> [(name: String, isDirectory: Bool)] {
        guard let dir = opendir(path) else { return [] }
        defer { closedir(dir) }
        var out: [(String, Bool)] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name == "." || name == ".." { continue }
            var isDirectory = entry.pointee.d_type == UInt8(DT_DIR)
            if entry.pointee.d_type == UInt8(DT_UNKNOWN) {
                var info = stat()
                isDirectory = stat(path + "/" + name, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
            }
            out.append((name, isDirectory))
        }
        return out
    }

    /// Whether `path` is a directory, a regular file, or neither (nil).
    public static func kind(_ path: String) -> Bool? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        switch info.st_mode & S_IFMT {
        case S_IFDIR: return true
        case S_IFREG: return false
        default: return nil
        }
    }
}
