import CLinux
import Glibc

/// An epoll instance with an eventfd to wake its waiting thread.
public final class Epoll: @unchecked Sendable {
    // @unchecked: the fds are immutable after init; epoll_ctl and eventfd writes are thread-safe; the ready
    // buffers belong to the one thread that calls `wait`.
    public struct Events: OptionSet, Sendable {
        public let rawValue: UInt32
        public init(rawValue: UInt32) { self.rawValue = rawValue }
        public static let readable = Events(rawValue: EPOLLIN.rawValue)
        public static let writable = Events(rawValue: EPOLLOUT.rawValue)
        public static let hangup = Events(rawValue: EPOLLHUP.rawValue | EPOLLRDHUP.rawValue | EPOLLERR.rawValue)
        public static let edgeTriggered = Events(rawValue: EPOLLET.rawValue)
    }

    /// The token reported for a wake-up through `wake()`.
    public static let wakeToken: UInt64 = .max

    private let epfd: Int32
    private let wakeFD: Int32
    /// What `epoll_wait` reports, kept between calls; only the thread that waits touches them.
    private static let capacity = 256
    private var readyEvents = [UInt32](repeating: 0, count: capacity)
    private var readyTokens = [UInt64](repeating: 0, count: capacity)

    public init() throws(SystemError) {
        epfd = try blockingSyscall("epoll_create1") { epoll_create1(Int32(EPOLL_CLOEXEC)) }
        wakeFD = try blockingSyscall("eventfd") { eventfd(0, Int32(EFD_NONBLOCK) | Int32(EFD_CLOEXEC)) }
        _ = try blockingSyscall("epoll_ctl(add eventfd)") {
            cl_epoll_add(epfd, wakeFD, EPOLLIN.rawValue, Epoll.wakeToken)
        }
    }

    deinit {
        Glibc.close(wakeFD)
        Glibc.close(epfd)
    }

    public func add(_ fd: FileDescriptor, events: Events, token: UInt64) throws(SystemError) {
        _ = try blockingSyscall("epoll_ctl(add)") { cl_epoll_add(epfd, fd.rawValue, events.rawValue, token) }
    }

    public func modify(_ fd: FileDescriptor, events: Events, token: UInt64) throws(SystemError) {
        _ = try blockingSyscall("epoll_ctl(mod)") { cl_epoll_mod(epfd, fd.rawValue, events.rawValue, token) }
    }

    public func remove(_ fd: FileDescriptor) {
        _ = cl_epoll_del(epfd, fd.rawValue)
    }

    /// Wakes the thread in `wait`; it sees `wakeToken`.
    public func wake() {
        var one: UInt64 = 1
        _ = Glibc.write(wakeFD, &one, 8)
    }

    /// Waits up to `timeoutMilliseconds` and calls `handle(token, events)` for each ready fd.
    public func wait(timeoutMilliseconds: Int32, _ handle: (UInt64, Events) -> Void) throws(SystemError) {
        let count = try blockingSyscall("epoll_wait") {
            cl_epoll_wait(epfd, &readyEvents, &readyTokens, Int32(Self.capacity), timeoutMilliseconds)
        }
        for i in 0..<Int(count) {
            let token = readyTokens[i]
            if token == Epoll.wakeToken {
                var value: UInt64 = 0
                _ = Glibc.read(wakeFD, &value, 8)
            }
            handle(token, Events(rawValue: readyEvents[i]))
        }
    }
}
