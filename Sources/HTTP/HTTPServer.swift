import Foundation
import Logging
import Posix
import Synchronization

/// Telewall's HTTP/1.1 server: non-blocking sockets, one epoll loop per core, blocking handlers on a worker pool.
public final class HTTPServer: Sendable {
    public let configuration: ServerConfiguration
    public let metrics: ServerMetrics
    private let router: Router
    private let logger: Logger
    private let state = Mutex<Running?>(nil)

    private struct Running: Sendable {
        let listeners: [FileDescriptor]
        let loops: [EventLoop]
        let pools: WorkerPools
        let finished: DispatchGroup
    }

    public init(configuration: ServerConfiguration, router: Router, metrics: ServerMetrics? = nil, logger: Logger) {
        self.configuration = configuration
        self.router = router
        self.metrics = metrics ?? ServerMetrics(capacity: configuration.maxConnections)
        self.logger = logger
    }

    /// Binds, starts the loops and returns the bound address (useful with port 0).
    @discardableResult
    public func start() throws -> SocketAddress {
        Socket.ignoreSigpipe()
        // One listening socket per loop on the same port (SO_REUSEPORT): the kernel balances connections.
        let first = try Socket.listen(configuration.address, reusePort: true)
        let bound = try Socket.localAddress(first)
        var listeners = [first]
        let loopCount = max(1, configuration.eventLoops)
        while listeners.count < loopCount {
            listeners.append(try Socket.listen(SocketAddress(host: configuration.address.host, port: bound.port), reusePort: true))
        }
        let pools = WorkerPools(
            blocking: WorkerPool(threads: configuration.workerThreads, maxQueued: configuration.maxQueuedJobs, name: "http-worker"),
            compute: WorkerPool(threads: configuration.computeThreads, maxQueued: configuration.maxQueuedJobs, name: "http-compute"))
        let finished = DispatchGroup()
        var loops: [EventLoop] = []
        for (index, listener) in listeners.enumerated() {
            let loop = try EventLoop(
                listener: listener, configuration: configuration, router: router, pools: pools, metrics: metrics, logger: logger)
            loops.append(loop)
            finished.enter()
            startThread(named: "http-loop-\(index)") {
                loop.run()
                finished.leave()
            }
        }
        state.withLock { $0 = Running(listeners: listeners, loops: loops, pools: pools, finished: finished) }
        logger.info("HTTP\(configuration.tls == nil ? "" : "S") listening on \(bound)")
        return bound
    }

    /// Stops accepting, lets in-flight requests finish (up to `drainTimeout` seconds), then closes everything.
    public func shutdown(drainTimeout: Double = 10) {
        guard let running = state.withLock({ state -> Running? in
            defer { state = nil }
            return state
        }) else { return }
        let deadline = monotonicSeconds() + drainTimeout
        for loop in running.loops { loop.requestStop(deadline: deadline) }
        running.finished.wait()
        running.pools.stop()
        for listener in running.listeners { listener.close() }
    }
}

