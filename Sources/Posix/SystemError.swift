import CLinux
import Glibc

/// An errno from a named system call.
public struct SystemError: Error, CustomStringConvertible, Sendable, Equatable {
    public let call: String
    public let errno: Int32

    public init(call: String, errno: Int32) {
        self.call = call
        self.errno = errno
    }

    public var isNotFound: Bool { errno == ENOENT }
    public var isAlreadyExists: Bool { errno == EEXIST }

    public var description: String {
        "\(call): \(String(cString: strerror(errno))) (errno \(errno))"
    }
}

/// The outcome of a non-blocking call: a value, or "try again when the fd is ready".
public enum IOResult<Value> {
    case done(Value)
    case wouldBlock
}

extension IOResult: Sendable where Value: Sendable {}

/// The one funnel for system calls: retries `EINTR`, maps `EAGAIN` to `.wouldBlock`,
/// throws `SystemError` for anything else and traps on `EBADF`, which is always a bug. The name is only
/// built when there is an error to report.
@inline(__always)
func syscall<T: FixedWidthInteger>(_ name: @autoclosure () -> String, _ body: () -> T) throws(SystemError) -> IOResult<T> {
    while true {
        let result = body()
        if result >= 0 { return .done(result) }
        let err = cl_errno()
        switch err {
        case EINTR: continue
        case EAGAIN, EWOULDBLOCK: return .wouldBlock
        case EBADF: preconditionFailure("\(name()): bad file descriptor")
        default: throw SystemError(call: name(), errno: err)
        }
    }
}

/// A blocking call: `.wouldBlock` cannot happen, so the value is returned directly.
@inline(__always)
func blockingSyscall<T: FixedWidthInteger>(_ name: @autoclosure () -> String, _ body: () -> T) throws(SystemError) -> T {
    switch try syscall(name(), body) {
    case .done(let value): return value
    case .wouldBlock: throw SystemError(call: name(), errno: EAGAIN)
    }
}
