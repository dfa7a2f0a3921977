import Foundation
import Posix
import Synchronization

/// Threads that receive datagrams on one UDP socket with batched `recvmmsg` and hand each batch to their own
/// handler (each thread has its own collector and token cache: no shared state per line). The threads take
/// turns at the socket and number each batch as they take it (`ArrivalOrder`), so batches handled at the same
/// time on different threads keep the order in which they arrived; handling, the costly part, overlaps.
public final class UDPReceiver: Sendable {
    /// Receives the batch's datagrams and its arrival number; the buffers are valid only during the call.
    public typealias BatchHandler = (_ datagrams: [UnsafeRawBufferPointer], _ arrival: Int) -> Void

    public let address: SocketAddress
    /// The kernel receive buffer the socket got.
    public let receiveBuffer: Int
    private let fd: FileDescriptor
    private let stopping = Atomic<Bool>(false)
    private let finished = DispatchGroup()
    private let turn = Mutex<Void>(())
    public let truncated = Atomic<Int>(0)
    static let slotSize = 65536
    static let slots = 64

    /// Binds; the threads start with `start`.
    public init(address: SocketAddress, receiveBuffer: Int = 32 << 20) throws {
        (fd, self.receiveBuffer) = try UDPSocket.bind(address, receiveBuffer: receiveBuffer)
        let local = try Socket.localAddress(fd)
        self.address = SocketAddress(host: address.host, port: local.port)
    }

    /// Starts `threads` receiving threads; `makeHandler` runs on each thread to make its handler.
    public func start(threads: Int, name: String, makeHandler: @escaping @Sendable () -> BatchHandler) {
        for index in 0..<threads {
            finished.enter()
            startThread(named: "\(name)-\(index)") { [self] in
                receive(handler: makeHandler())
                finished.leave()
            }
        }
    }

    /// Stops the threads (within the socket's receive timeout) once they took what was queued, and closes the socket.
    public func stop() {
        stopping.store(true, ordering: .relaxed)
        finished.wait()
        fd.close()
    }

    private func receive(handler: BatchHandler) {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: Self.slotSize * Self.slots, alignment: 16)
        defer { buffer.deallocate() }
        // After `stop()` the queued datagrams are still taken (without waiting), so stopping loses none.
        var draining = false
        while true {
            if !draining && stopping.load(ordering: .relaxed) { draining = true }
            let (lengths, arrival) = turn.withLock { _ in
                let lengths = (try? UDPSocket.receive(fd, into: buffer, slotSize: Self.slotSize, slots: Self.slots, wait: !draining)) ?? []
                return (lengths, lengths.isEmpty ? 0 : ArrivalOrder.next())
            }
            if lengths.isEmpty {
                if draining { return }
                continue
            }
            var packets: [UnsafeRawBufferPointer] = []
            packets.reserveCapacity(lengths.count)
            for (i, length) in lengths.enumerated() {
                guard length >= 0 else {
                    truncated.add(1, ordering: .relaxed)
                    continue
                }
                packets.append(UnsafeRawBufferPointer(rebasing: buffer[(i * Self.slotSize)..<(i * Self.slotSize + length)]))
            }
            handler(packets, arrival)
        }
    }
}
