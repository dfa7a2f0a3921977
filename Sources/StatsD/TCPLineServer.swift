import Foundation
import Posix
import Synchronization

/// A TCP listener for newline-framed lines (StatsD over TCP, Graphite plaintext) on one epoll thread.
/// Each read's complete lines go to the handler as one batch; a line longer than `maxLineBytes` closes the
/// connection. Many clients at once, none able to hold the thread.
public final class TCPLineServer: Sendable {
    public typealias BatchHandler = ([String]) -> Void

    public let address: SocketAddress
    private let listener: FileDescriptor
    private let epoll: Epoll
    private let stopping = Atomic<Bool>(false)
    private let finished = DispatchSemaphore(value: 0)
    public static let maxLineBytes = 64 * 1024
    public static let maxConnections = 1024
    public let connections = Atomic<Int>(0)

    public init(address: SocketAddress) throws {
        listener = try Socket.listen(address)
        self.address = SocketAddress(host: address.host, port: try Socket.localAddress(listener).port)
        epoll = try Epoll()
        try epoll.add(listener, events: [.readable], token: 0)
    }

    public func start(name: String, makeHandler: @escaping @Sendable () -> BatchHandler) {
        startThread(named: name) { [self] in
            run(handler: makeHandler())
            finished.signal()
        }
    }

    /// Stops the thread after a last pass over what clients had sent; a last line without newline still counts.
    public func stop() {
        stopping.store(true, ordering: .relaxed)
        epoll.wake()
        finished.wait()
        listener.close()
    }

    private func run(handler: BatchHandler) {
        var open: [UInt64: (fd: FileDescriptor, pending: [UInt8])] = [:]
        var next: UInt64 = 1
        let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: 65536, alignment: 16)
        defer {
            scratch.deallocate()
            for (_, c) in open { c.fd.close() }
            connections.store(0, ordering: .relaxed)
        }
        // After `stop()` one more pass without waiting takes what clients had already sent.
        var draining = false
        while !draining {
            draining = stopping.load(ordering: .relaxed)
            try? epoll.wait(timeoutMilliseconds: draining ? 0 : 200) { token, _ in
                if token == 0 {
                    while case .done(let (fd, _))? = try? Socket.accept(listener) {
                        guard open.count < Self.maxConnections, (try? epoll.add(fd, events: [.readable, .hangup], token: next)) != nil else {
                            fd.close()
                            continue
                        }
                        open[next] = (fd, [])
                        next += 1
                        connections.store(open.count, ordering: .relaxed)
                    }
                    return
                }
                guard token != Epoll.wakeToken, var connection = open[token] else { return }
                var batch: [String] = []
                var closed = false
                readLoop: while true {
                    switch try? connection.fd.read(into: scratch) {
                    case .done(let n)? where n > 0:
                        connection.pending.append(contentsOf: scratch[0..<n])
                        if let lastNewline = connection.pending.lastIndex(of: 10) {
                            batch.append(String(decoding: connection.pending[...lastNewline], as: UTF8.self))
                            connection.pending.removeFirst(lastNewline + 1)
                        }
                        if connection.pending.count > Self.maxLineBytes {
                            closed = true
                            break readLoop
                        }
                    case .wouldBlock?:
                        break readLoop
                    default:
                        closed = true
                        break readLoop
                    }
                }
                if closed && !connection.pending.isEmpty && connection.pending.count <= Self.maxLineBytes {
                    // A last line without its newline still counts when the client closes.
                    batch.append(String(decoding: connection.pending, as: UTF8.self))
                }
                if !batch.isEmpty { handler(batch) }
                if closed {
                    epoll.remove(connection.fd)
                    connection.fd.close()
                    open.removeValue(forKey: token)
                    connections.store(open.count, ordering: .relaxed)
                } else {
                    open[token] = connection
                }
            }
        }
    }
}
