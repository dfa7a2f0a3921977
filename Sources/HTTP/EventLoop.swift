import Foundation
import Logging
import Posix
import Synchronization
import TLS

/// One thread's epoll loop: accepts, reads, parses, dispatches and writes for its connections. Jobs on the worker
/// pools write their own answers (see `FlightGate`) and hand to the loop only what they cannot finish.
final class EventLoop: @unchecked Sendable {
    // @unchecked: other threads (the pools' jobs) touch only `mailbox`, `stopDeadline`, `tallies` and
    // `epoll.wake`, which are synchronized, and the sockets a `FlightGate` lends them; everything else is the
    // loop's own thread's.
    private enum Completion {
        /// The job wrote its whole answer and gave the socket back while the loop waited for it.
        case gaveBack(token: UInt64)
        /// The loop is to write the rest of the answer, `chunks` from byte `sent` on, or to close a broken
        /// connection (`sent` nil).
        case handedBack(token: UInt64, chunks: [ResponseBody], sent: Int?, keepAlive: Bool)
    }

    private static let listenerToken: UInt64 = 0
    private let epoll: Epoll
    private let listener: FileDescriptor
    private let configuration: ServerConfiguration
    private let router: Router
    private let pools: WorkerPools
    private let metrics: ServerMetrics
    private let logger: Logger
    private let mailbox = Mutex<[Completion]>([])
    private let tallies: ServerMetrics.LoopTallies
    private let stopDeadline = Atomic<Double>(.infinity)

    private var connections: [UInt64: Connection] = [:]
    private var nextToken: UInt64 = 1
    private var dates = HTTPDateCache()
    private var stopping = false
    private let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 * 1024, alignment: 16)

    init(listener: FileDescriptor, configuration: ServerConfiguration, router: Router, pools: WorkerPools, metrics: ServerMetrics, logger: Logger) throws {
        self.epoll = try Epoll()
        self.listener = listener
        self.configuration = configuration
        self.router = router
        self.pools = pools
        self.metrics = metrics
        self.tallies = metrics.makeLoopTallies()
        self.logger = logger
        try epoll.add(listener, events: [.readable], token: Self.listenerToken)
    }

    deinit { scratch.deallocate() }

    /// Asks the loop to stop accepting and to exit once its connections are done or `deadline` passes.
    func requestStop(deadline: Double) {
        stopDeadline.store(deadline, ordering: .sequentiallyConsistent)
        epoll.wake()
    }

    func run() {
        if configuration.eventLoopSliceMicroseconds > 0, !SchedulerSlice.request(microseconds: configuration.eventLoopSliceMicroseconds) {
            logger.debug("the kernel kept its default scheduler slice for the event loop")
        }
        let tick = Int32(max(10, min(1000, configuration.headerTimeout * 250)))
        var nextSweep = monotonicSeconds() + Double(tick) / 1000
        while true {
            do {
                try epoll.wait(timeoutMilliseconds: tick) { token, events in handle(token: token, events: events) }
            } catch {
                logger.error("epoll_wait failed: \(error)")
                break
            }
            let now = monotonicSeconds()
            if !stopping, stopDeadline.load(ordering: .sequentiallyConsistent) < .infinity { beginStopping() }
            if now >= nextSweep {
                sweep(now: now)
                nextSweep = now + Double(tick) / 1000
            }
            if stopping && (connections.isEmpty || now > stopDeadline.load(ordering: .sequentiallyConsistent)) { break }
        }
        for connection in connections.values { close(connection) }
    }

    private func handle(token: UInt64, events: Epoll.Events) {
        switch token {
        case Self.listenerToken: acceptConnections()
        case Epoll.wakeToken: deliverCompletions()
        default:
            guard let connection = connections[token] else { return }
            // The mask is the socket's readiness when reported: bytes waiting always show as readable.
            if !events.isDisjoint(with: [.readable, .hangup]) { connection.mayHaveInput = true }
            drive(connection)
        }
    }

    // MARK: - Accepting

    private func acceptConnections() {
        for _ in 0..<128 where !stopping {
            guard case .done(let (fd, remote))? = try? Socket.accept(listener) else { return }
            guard metrics.claimConnection() else {
                refuse(fd)
                continue
            }
            let tls: TLSSession?
            do {
                tls = try configuration.tls.map { try $0.makeSession(fd: fd.rawValue) }
            } catch {
                logger.warning("TLS session setup failed: \(error)")
                fd.close()
                metrics.releaseConnection()
                continue
            }
            if tls == nil { Socket.stampArrivals(fd) }
            let token = nextToken
            nextToken += 1
            let connection = Connection(
                fd: fd, token: token, remote: remote, tls: tls, limits: configuration.limits,
                deadline: monotonicSeconds() + configuration.idleTimeout)
            do {
                try epoll.add(fd, events: [.readable, .writable, .hangup, .edgeTriggered], token: token)
            } catch {
                fd.close()
                metrics.releaseConnection()
                continue
            }
            connections[token] = connection
        }
    }

    /// Past the connection cap: answer 503 at once (best effort) and close, so the client learns why.
    private func refuse(_ fd: FileDescriptor) {
        var response = HTTPError(503, code: "over_capacity", "the server is at its connection limit; retry shortly").response
        response.headers.append(Header("Retry-After", "1"))
        let (head, body) = response.serialized(date: dates.current(), keepAlive: false, omitBody: false)
        var bytes = head
        body?.withUnsafeBytes { bytes.append(contentsOf: $0) }
        if configuration.tls == nil { _ = bytes.withUnsafeBytes { try? fd.send($0) } }
        fd.close()
    }

    // MARK: - Driving a connection

    /// Moves a connection forward as far as it can go without blocking.
    private func drive(_ c: Connection) {
        while true {
            guard c.flush() else { return close(c) }
            if c.hasPendingOutput {
                c.deadline = monotonicSeconds() + configuration.writeTimeout
                return
            }
            if c.closeAfterWrite { return close(c) }
            // Until input arrives or a request waits, the loop has nothing to do here and need not be woken: the
            // job writes its answer itself. The sweep looks again within a second, so that a connection idle since
            // its answer closes about `idleTimeout` after it.
            if c.loan.isStillOut(wake: c.mayHaveInput || c.parser.bufferedByteCount > 0) {
                c.deadline = monotonicSeconds() + min(configuration.idleTimeout, 1)
                return
            }
            do {
                if let event = try c.parser.next() {
                    switch event {
                    case .expectsContinue: c.queue(.bytes(Array("HTTP/1.1 100 Continue\r\n\r\n".utf8)))
                    case .request(let request):
                        c.requestStartedAt = nil
                        dispatch(request, on: c)
                    }
                    continue
                }
            } catch {
                enqueue(error.response, on: c, keepAlive: false, omitBody: false)
                continue
            }
            if c.peerClosed { return close(c) }
            guard c.mayHaveInput else { return awaitInput(c) }
            switch c.read(scratch: scratch) {
            case .bytes:
                if c.requestStartedAt == nil { c.requestStartedAt = c.lastArrival }
            case .wouldBlock:
                return awaitInput(c)
            case .endOfFile:
                c.peerClosed = true
            case .failed:
                return close(c)
            }
        }
    }

    /// Nothing more to read for now: a connection between requests closes if the loop is stopping, any other
    /// waits until its deadline.
    private func awaitInput(_ c: Connection) {
        if stopping && c.parser.isIdle { return close(c) }
        c.deadline = readDeadline(c)
    }

    private func readDeadline(_ c: Connection) -> Double {
        guard let started = c.requestStartedAt, !c.parser.isIdle else {
            return monotonicSeconds() + configuration.idleTimeout
        }
        return started + (c.parser.isReadingHead ? configuration.headerTimeout : configuration.requestTimeout)
    }

    private func dispatch(_ request: Request, on c: Connection) {
        var request = request
        request.remoteAddress = c.remote.host
        request.isSecure = c.tls != nil
        let keepAlive = request.wantsKeepAlive && !stopping
        let omitBody = request.method == "HEAD"
        let resolved = router.resolve(&request)
        let handler = resolved.handler
        let timing = RequestTiming(key: resolved.key, received: c.lastArrival)
        switch resolved.key.placement {
        case .eventLoop:
            enqueue(respond(handler, request), on: c, keepAlive: keepAlive, omitBody: omitBody, timing: timing)
        case .workerPool, .computePool:
            let job = PoolJob(token: c.token, fd: c.fd, gate: c.loan.gate, plainSocket: c.tls == nil, keepAlive: keepAlive,
                              omitBody: omitBody, timing: timing)
            c.loan.lend()
            let logger = logger
            let accepted = pools.pool(for: resolved.key.placement).submit(key: configuration.fairnessKey(request)) { [self, request] in
                finish(job, Self.respond(handler, request, logger: logger))
            }
            if !accepted {
                c.loan.takeBack()
                let busy = HTTPError(503, code: "busy", "the server is busy; retry shortly", headers: [Header("Retry-After", "1")])
                enqueue(busy.response, on: c, keepAlive: keepAlive, omitBody: omitBody)
            }
        }
    }

    /// What a pool job needs to answer on its connection's socket.
    private struct PoolJob: Sendable {
        let token: UInt64
        let fd: FileDescriptor
        let gate: FlightGate
        /// TLS sessions are written by the loop only.
        let plainSocket: Bool
        let keepAlive: Bool
        let omitBody: Bool
        let timing: RequestTiming
    }

    /// On the pool's thread: writes the answer to the socket as far as it goes at once, then lets go of the socket,
    /// handing the rest to the loop if there is any. A pipelined request needs no flag here: the loop, seeing it
    /// buffered, waits for the socket and is woken by the release.
    private func finish(_ job: PoolJob, _ response: Response) {
        let keepAlive = job.keepAlive && stopDeadline.load(ordering: .acquiring) == .infinity
        let date = HTTPDateCache.shared.withLock { $0.current() }
        let (head, body) = response.serialized(date: date, keepAlive: keepAlive, omitBody: job.omitBody)
        let chunks = [ResponseBody.bytes(head)] + (body.map { [$0] } ?? [])
        let sent = job.plainSocket ? Connection.send(chunks, from: 0, on: job.fd) : 0
        tallies.count(status: response.status, timing: job.timing)
        switch job.gate.release(answered: sent == head.count + (body?.count ?? 0) && keepAlive) {
        case .done: break
        case .wakeLoop: post(.gaveBack(token: job.token))
        case .handBack: post(.handedBack(token: job.token, chunks: chunks, sent: sent, keepAlive: keepAlive))
        case .closeSocket: job.fd.close()
        }
    }

    private func post(_ completion: Completion) {
        mailbox.withLock { $0.append(completion) }
        epoll.wake()
    }

    private func respond(_ handler: Handler, _ request: Request) -> Response {
        Self.respond(handler, request, logger: logger)
    }

    /// Runs a handler; an `HTTPError` becomes its response, anything else a 500 that leaks nothing.
    private static func respond(_ handler: Handler, _ request: Request, logger: Logger) -> Response {
        do {
            return try handler(request)
        } catch let error as HTTPError {
            return error.response
        } catch {
            logger.error("\(request.method) \(request.path) failed: \(error)")
            return HTTPError(500, code: "internal", "internal server error").response
        }
    }

    /// Queues an answer for the loop to write; `timing` when a handler made it.
    private func enqueue(_ response: Response, on c: Connection, keepAlive: Bool, omitBody: Bool, timing: RequestTiming? = nil) {
        tallies.count(status: response.status, timing: timing)
        let (head, body) = response.serialized(date: dates.current(), keepAlive: keepAlive, omitBody: omitBody)
        c.queue(.bytes(head))
        if let body { c.queue(body) }
        if !keepAlive { c.closeAfterWrite = true }
    }

    private func deliverCompletions() {
        let completions = mailbox.withLock { box -> [Completion] in
            defer { box.removeAll(keepingCapacity: true) }
            return box
        }
        for completion in completions {
            switch completion {
            case .gaveBack(let token):
                // `drive` reads the gate itself: a wake that comes after the loop found the socket back on its
                // own, and lent it to the next request's job, leaves that job be.
                if let c = connections[token] { drive(c) }
            case .handedBack(let token, let chunks, let sent, let keepAlive):
                guard let c = connections[token] else { continue }
                c.loan.takeBack()
                guard let sent else {
                    close(c)
                    continue
                }
                c.queue(chunks, alreadySent: sent)
                if !keepAlive { c.closeAfterWrite = true }
                drive(c)
            }
        }
    }

    // MARK: - Timeouts and stopping

    private func sweep(now: Double) {
        for c in connections.values where now >= c.deadline || (stopping && c.loan.isOut) {
            // A job may have given the socket back without waking the loop, or may still run: `drive` tells
            // which, and sets the deadline that follows.
            if c.loan.isOut {
                drive(c)
                continue
            }
            if !c.parser.isIdle && !c.hasPendingOutput {
                enqueue(HTTPError(408, code: "request_timeout", "the request took too long to arrive").response,
                        on: c, keepAlive: false, omitBody: false)
                _ = c.flush()
            }
            close(c)
        }
    }

    private func beginStopping() {
        stopping = true
        epoll.remove(listener)
        for c in connections.values { drive(c) }
    }

    private func close(_ c: Connection) {
        guard connections.removeValue(forKey: c.token) != nil else { return }
        epoll.remove(c.fd)
        metrics.releaseConnection()
        // A job still holding the socket closes it when done.
        if c.loan.abandon() { return }
        c.close()
    }
}

