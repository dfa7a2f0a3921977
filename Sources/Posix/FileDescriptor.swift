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
