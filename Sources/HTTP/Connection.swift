import Glibc
import Posix
import TLS

/// One client connection, owned by exactly one event loop thread.
final class Connection {
    enum ReadOutcome {
        case bytes
        case wouldBlock
        case endOfFile
        case failed
    }

    let fd: FileDescriptor
    let token: UInt64
    let remote: SocketAddress
    let tls: TLSSession?
    var parser: RequestParser
    /// Serialized responses not yet written, in order, the first from `outputOffset` on: each head and each
    /// body is a chunk of its own, sent from where it lies (`flush` gathers them, so nothing is copied).
    private var output: [ResponseBody] = []
    private var outputOffset = 0
    /// The socket as lent to the job of a request that went to a worker pool.
    var loan = SocketLoan()
    /// Close once `output` is written (a `Connection: close` response or a fatal parse error).
    var closeAfterWrite = false
    var peerClosed = false
    /// Whether the socket may hold unread bytes. A plain socket read short of the buffer was drained, and with
    /// edge-triggered epoll the next bytes bring a new event: reading again until EAGAIN would cost a system
    /// call per request for nothing. TLS may hold decrypted bytes of its own, so it always reads again.
    var mayHaveInput = true
    /// When the current request's first byte arrived, or nil between requests.
    var requestStartedAt: Double?
    /// When the bytes read last reached the kernel (monotonic seconds): a request's duration counts from there, so
    /// that the time it waited in the socket for a busy loop counts too. From the arrival stamp of a plain
    /// socket; TLS reads, and stamps that a wall-clock step puts in the future or more than a minute back, give
    /// the read's own time.
    private(set) var lastArrival = 0.0
    var deadline: Double

    init(fd: FileDescriptor, token: UInt64, remote: SocketAddress, tls: TLSSession?, limits: ParserLimits, deadline: Double) {
        self.fd = fd
        self.token = token
        self.remote = remote
        self.tls = tls
        self.parser = RequestParser(limits: limits)
        self.deadline = deadline
    }

    var hasPendingOutput: Bool { !output.isEmpty }

    /// Queues bytes to send after those already queued.
    func queue(_ body: ResponseBody) {
        if body.count > 0 { output.append(body) }
    }

    /// Reads what the socket has into the parser.
    func read(scratch: UnsafeMutableRawBufferPointer) -> ReadOutcome {
        if let tls {
            switch tls.read(into: scratch) {
            case .bytes(let n):
                lastArrival = monotonicSeconds()
                parser.append(UnsafeRawBufferPointer(rebasing: scratch[0..<n]))
                return .bytes
            case .wantRead, .wantWrite: return .wouldBlock
            case .closed: return .endOfFile
            case .failed: return .failed
            }
        }
        do {
            switch try fd.receive(into: scratch) {
            case .wouldBlock: return .wouldBlock
            case .done(let received) where received.count == 0: return .endOfFile
            case .done(let received):
                lastArrival = Self.arrival(secondsAgo: received.secondsAgo)
                parser.append(UnsafeRawBufferPointer(rebasing: scratch[0..<received.count]))
                if received.count < scratch.count { mayHaveInput = false }
                return .bytes
            }
        } catch {
            return .failed
        }
    }

    private static func arrival(secondsAgo: Double?) -> Double {
        let now = monotonicSeconds()
        guard let ago = secondsAgo, ago >= 0, ago < 60 else { return now }
        return now - ago
    }

    /// Queues an answer a job has begun to write to the socket itself: its first `sent` bytes are out.
    func queue(_ chunks: [ResponseBody], alreadySent sent: Int) {
        precondition(output.isEmpty, "a job writes only while nothing else is queued")
        for chunk in chunks { queue(chunk) }
        advance(by: sent)
    }

    /// Writes pending output until done or the socket is full; false on a broken connection.
    func flush() -> Bool {
        while !output.isEmpty {
            guard let written = tls == nil ? Self.send(output, from: outputOffset, on: fd) : writeFirstPending() else { return false }
            if written == 0 { return true }
            advance(by: written)
        }
        return true
    }

    /// Moves past `written` bytes of the pending output.
    private func advance(by written: Int) {
        outputOffset += written
        while let first = output.first, outputOffset >= first.count {
            outputOffset -= first.count
            output.removeFirst()
        }
    }

    /// At most this many queued chunks go out in one `sendmsg`: a head and its body, or the answers to a run of
    /// pipelined requests.
    private static let gatheredChunks = 64

    /// Sends the first of `chunks`, from byte `offset` of the first, in one call on a plain socket: bytes sent,
    /// 0 when the socket is full, nil when broken.
    static func send(_ chunks: [ResponseBody], from offset: Int, on fd: FileDescriptor) -> Int? {
        withUnsafeTemporaryAllocation(of: iovec.self, capacity: Self.gatheredChunks) { vectors in
            let count = min(chunks.count, Self.gatheredChunks)
            func gather(_ index: Int) -> Int? {
                guard index < count else {
                    switch try? fd.send(UnsafeBufferPointer(rebasing: vectors[0..<count])) {
                    case .done(let n): return n
                    case .wouldBlock: return 0
                    case nil: return nil
                    }
                }
                return chunks[index].withUnsafeBytes { bytes in
                    let from = index == 0 ? offset : 0
                    vectors[index] = iovec(iov_base: UnsafeMutableRawPointer(mutating: bytes.baseAddress! + from), iov_len: bytes.count - from)
                    return gather(index + 1)
                }
            }
            return gather(0)
        }
    }

    /// TLS writes one record stream: the first pending chunk through the session.
    private func writeFirstPending() -> Int? {
        output[0].withUnsafeBytes { all in
            switch tls?.write(UnsafeRawBufferPointer(rebasing: all[outputOffset...])) {
            case .bytes(let n): return n
            case .wantRead, .wantWrite: return 0
            case .closed, .failed, nil: return nil
            }
        }
    }

    func close() {
        tls?.shutdown()
        fd.close()
    }
}
