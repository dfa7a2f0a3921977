import CLinux
import Glibc

/// UDP sockets for the ingest listeners: a large receive buffer and batched receives.
public enum UDPSocket {
    /// A blocking UDP socket bound to `address`, asking for `receiveBuffer` bytes of kernel buffer; returns the
    /// socket and the size the kernel granted (it caps the request at `net.core.rmem_max`, and doubles it).
    /// `timeout` bounds each receive so a thread can notice it should stop.
    public static func bind(_ address: SocketAddress, receiveBuffer: Int, timeout: Double = 0.2) throws(SystemError) -> (FileDescriptor, Int) {
        let family = address.isIPv6 ? AF_INET6 : AF_INET
        let fd = try blockingSyscall("socket(udp)") { Glibc.socket(family, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0) }
        do {
            var size = Int32(clamping: receiveBuffer)
            // SO_RCVBUFFORCE passes the cap when the process may (CAP_NET_ADMIN); otherwise the capped request stands.
            if setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, socklen_t(MemoryLayout<Int32>.size)) != 0 {
                _ = try blockingSyscall("setsockopt(SO_RCVBUF)") { setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size)) }
            }
            _ = try address.withSockAddr { addr, len throws(SystemError) in
                try blockingSyscall("bind(udp \(address))") { Glibc.bind(fd, addr, len) }
            }
            var tv = timeval(tv_sec: Int(timeout), tv_usec: Int((timeout - Double(Int(timeout))) * 1_000_000))
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
            var granted: Int32 = 0
            var length = socklen_t(MemoryLayout<Int32>.size)
            getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &granted, &length)
            return (FileDescriptor(rawValue: fd), Int(granted))
        } catch {
            Glibc.close(fd)
            throw error
        }
    }

    /// Receives up to `slots` datagrams into `buffer` (slots of `slotSize` bytes); returns their lengths,
    /// empty on timeout. Truncated datagrams (longer than a slot) are reported with length -1.
    /// With `wait: false` it returns at once with what is queued (to drain the socket when stopping).
    public static func receive(_ fd: FileDescriptor, into buffer: UnsafeMutableRawBufferPointer, slotSize: Int, slots: Int, wait: Bool = true) throws(SystemError) -> [Int] {
        var lengths = [Int32](repeating: 0, count: slots)
        var truncated = [Int32](repeating: 0, count: slots)
        let n = cl_recvmmsg(fd.rawValue, buffer.baseAddress!.assumingMemoryBound(to: UInt8.self), Int32(slotSize), Int32(slots), &lengths, &truncated, wait ? 1 : 0)
        if n < 0 {
            let err = cl_errno()
            if err == EAGAIN || err == EWOULDBLOCK || err == EINTR { return [] }
            throw SystemError(call: "recvmmsg", errno: err)
        }
        return (0..<Int(n)).map { truncated[$0] != 0 ? -1 : Int(lengths[$0]) }
    }

    /// Sends one datagram (tests and tools).
    public static func send(_ bytes: [UInt8], to address: SocketAddress) throws(SystemError) {
        let family = address.isIPv6 ? AF_INET6 : AF_INET
        let fd = try blockingSyscall("socket(udp)") { Glibc.socket(family, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0) }
        defer { Glibc.close(fd) }
        _ = try address.withSockAddr { addr, len throws(SystemError) in
            try blockingSyscall("sendto") { bytes.withUnsafeBytes { Glibc.sendto(fd, $0.baseAddress, $0.count, 0, addr, len) } }
        }
    }

    /// The kernel's UDP receive-error counters (`/proc/net/snmp`): RcvbufErrors, and InErrors.
    public static func kernelReceiveErrors() -> (bufferErrors: Int, inErrors: Int) {
        guard let fd = try? File.open("/proc/net/snmp", .readOnly) else { return (0, 0) }
        defer { fd.close() }
        let text = String(decoding: (try? File.read(fd, count: 65536, at: 0)) ?? [], as: UTF8.self)
        let lines = text.split(separator: "\n").filter { $0.hasPrefix("Udp:") }
        guard lines.count >= 2 else { return (0, 0) }
        let names = lines[0].split(separator: " ")
        let values = lines[1].split(separator: " ")
        func value(_ name: String) -> Int { names.firstIndex(of: Substring(name)).flatMap { Int(values[$0]) } ?? 0 }
        return (value("RcvbufErrors"), value("InErrors"))
    }
}
