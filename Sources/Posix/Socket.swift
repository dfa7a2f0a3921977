import CLinux
import Glibc

/// TCP sockets: listening, accepting and (for tests and tools) connecting.
public enum Socket {
    /// Ignores SIGPIPE process-wide; writes also pass MSG_NOSIGNAL, this covers OpenSSL's.
    public static func ignoreSigpipe() { cl_ignore_sigpipe() }

    /// A non-blocking listening TCP socket bound to `address` (port 0 picks one). With `reusePort`, several
    /// sockets may bind the same port and the kernel spreads new connections evenly across them.
    public static func listen(_ address: SocketAddress, backlog: Int32 = 1024, reusePort: Bool = false) throws(SystemError) -> FileDescriptor {
        let family = address.isIPv6 ? AF_INET6 : AF_INET
        let fd = try blockingSyscall("socket") {
            Glibc.socket(family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        }
        do {
            var one: Int32 = 1
            _ = try blockingSyscall("setsockopt(SO_REUSEADDR)") {
                setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
            }
            if reusePort {
                _ = try blockingSyscall("setsockopt(SO_REUSEPORT)") {
                    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, socklen_t(MemoryLayout<Int32>.size))
                }
            }
            _ = try address.withSockAddr { addr, len throws(SystemError) in
                try blockingSyscall("bind(\(address))") { Glibc.bind(fd, addr, len) }
            }
            _ = try blockingSyscall("listen") { Glibc.listen(fd, backlog) }
        } catch {
            Glibc.close(fd)
            throw error
        }
        return FileDescriptor(rawValue: fd)
    }

    /// Accepts one connection, non-blocking and close-on-exec, with TCP_NODELAY set.
    public static func accept(_ listener: FileDescriptor) throws(SystemError) -> IOResult<(FileDescriptor, SocketAddress)> {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        switch try syscall("accept4", { cl_accept4(listener.rawValue, &storage, &length) }) {
        case .wouldBlock:
            return .wouldBlock
        case .done(let fd):
            var one: Int32 = 1
            setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
            return .done((FileDescriptor(rawValue: fd), SocketAddress(storage: storage)))
        }
    }

    /// The local address a socket is bound to (to learn the port after binding port 0).
    public static func localAddress(_ fd: FileDescriptor) throws(SystemError) -> SocketAddress {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        _ = try withUnsafeMutablePointer(to: &storage) { ptr throws(SystemError) in
            try ptr.withMemoryRebound(to: sockaddr.self, capacity: 1) { p throws(SystemError) in
                try blockingSyscall("getsockname") { getsockname(fd.rawValue, p, &length) }
            }
        }
        return SocketAddress(storage: storage)
    }

    /// A blocking TCP connection, for clients in tests and tools.
    public static func connect(_ address: SocketAddress) throws(SystemError) -> FileDescriptor {
        let family = address.isIPv6 ? AF_INET6 : AF_INET
        let fd = try blockingSyscall("socket") {
            Glibc.socket(family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        }
        do {
            _ = try address.withSockAddr { addr, len throws(SystemError) in
                try blockingSyscall("connect(\(address))") { Glibc.connect(fd, addr, len) }
            }
        } catch {
            Glibc.close(fd)
            throw error
        }
        return FileDescriptor(rawValue: fd)
    }

    /// Has the kernel stamp the arrival of each segment the socket receives, which `FileDescriptor.receive` reports.
    public static func stampArrivals(_ fd: FileDescriptor) {
        _ = cl_stamp_arrivals(fd.rawValue)
    }

    /// Sets a receive timeout on a blocking socket, so a test client never waits forever.
    public static func setReceiveTimeout(_ fd: FileDescriptor, seconds: Double) {
        var tv = timeval(tv_sec: Int(seconds), tv_usec: Int((seconds - Double(Int(seconds))) * 1_000_000))
        setsockopt(fd.rawValue, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
    }
}
