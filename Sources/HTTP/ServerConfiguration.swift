import Foundation
import Posix
import TLS

/// How an `HTTPServer` listens and what it tolerates from clients.
public struct ServerConfiguration: Sendable {
    public var address: SocketAddress
    /// When set, every connection speaks TLS through the same code path.
    public var tls: TLSContext?
    /// One event loop per core.
    public var eventLoops = ProcessInfo.processInfo.activeProcessorCount
    /// The scheduler slice each event loop asks for (`SchedulerSlice`), 0 to keep the default. A loop sleeps
    /// between bursts of short work; with the shortest slice it runs soon after a request wakes it instead of
    /// after a busy thread's 3 ms (in interleaved runs of scripts/bench/http.sh, p99 about a tenth lower).
    public var eventLoopSliceMicroseconds = 100
    /// Threads for handlers that wait (password hashing, SQLite writes).
    public var workerThreads = 8
    /// Threads for handlers that compute (reading and rendering series): one per core, so they never crowd
    /// each other off the CPU while holding a lock.
    public var computeThreads = ProcessInfo.processInfo.activeProcessorCount
    public var maxQueuedJobs = 4096
    /// Whose turn a request takes in the worker pools' fair shares (`WorkerPool`): by default the credential it
    /// carries (`Request.fairnessKey`). An application that knows whose a credential is can share by tenant.
    /// Called on the event loop for every request bound for a pool, so it must not wait.
    public var fairnessKey: @Sendable (Request) -> UInt64 = { $0.fairnessKey }
    public var maxConnections = 4096
    public var limits = ParserLimits()
    /// Seconds a client may take to send a request head.
    public var headerTimeout = 10.0
    /// Seconds a client may take to send a whole request, head and body.
    public var requestTimeout = 30.0
    /// Seconds a keep-alive connection may sit idle between requests.
    public var idleTimeout = 60.0
    /// Seconds a client may take to read a response before it is dropped.
    public var writeTimeout = 30.0

    public init(address: SocketAddress, tls: TLSContext? = nil) {
        self.address = address
        self.tls = tls
    }
}
