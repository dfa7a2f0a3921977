import CLinux
import Glibc

/// A raw file descriptor; the owner closes it exactly once.
public struct FileDescriptor: Hashable, Sendable {
    public let rawValue: Int32

    public init(rawValue: Int32) { self.rawValue = rawValue }

    /// Reads into `buffer`; `.done(0)` is end of file.
    public func read(into buffer: UnsafeMutableRawBufferPointer) throws(SystemError) -> IOResult<Int> {
        try syscall("read") { Glibc.read(rawValue, buffer.baseAddress, buffer.count) }
    }

    /// Reads into `buffer` as `read` does, and tells how long ago the kernel received the bytes (the last of them)
    /// when the socket stamps arrivals (`Socket.stampArrivals`).
    public func receive(into buffer: UnsafeMutableRawBufferPointer) throws(SystemError) -> IOResult<Received> {
        var arrived = timespec()
        var stamped: Int32 = 0
        switch try syscall("recvmsg", { cl_recv_stamped(rawValue, buffer.baseAddress, buffer.count, &arrived, &stamped) }) {
        case .wouldBlock:
            return .wouldBlock
        case .done(let count):
            let ago = stamped == 0 ? nil : Double(wallNanoseconds() - Int(arrived.tv_sec) * 1_000_000_000 - Int(arrived.tv_nsec)) / 1e9
            return .done(Received(count: count, secondsAgo: ago))
        }
    }

    /// What `receive` read: `count` bytes (0 at end of file), which reached the kernel `secondsAgo` (on the wall
    /// clock, so negative after it stepped back), or nil when the socket does not stamp arrivals.
    public struct Received: Sendable {
        public let count: Int
        public let secondsAgo: Double?
    }

    /// Writes from `buffer` without raising SIGPIPE on a socket.
    public func send(_ buffer: UnsafeRawBufferPointer) throws(SystemError) -> IOResult<Int> {
        try syscall("send") { Glibc.send(rawValue, buffer.baseAddress, buffer.count, Int32(MSG_NOSIGNAL)) }
    }

    /// Writes from several buffers in one call (`sendmsg`), in order, without raising SIGPIPE on a socket.
    public func send(_ buffers: UnsafeBufferPointer<iovec>) throws(SystemError) -> IOResult<Int> {
        var message = msghdr()
        message.msg_iov = UnsafeMutablePointer(mutating: buffers.baseAddress)
        message.msg_iovlen = buffers.count
        return try syscall("sendmsg") { Glibc.sendmsg(rawValue, &message, Int32(MSG_NOSIGNAL)) }
    }

    public func close() {
        _ = Glibc.close(rawValue)
    }
}
