import Accounts
import Logging
import Glibc
import Posix
import StatsD
import Whisper

/// StatsD over UDP and TCP and Graphite plaintext over TCP and UDP, wired to one `StatsDIngest`.
final class IngestService: Sendable {
    let ingest: StatsDIngest
    let directory: TokenDirectory
    /// HTTP ingest's collector, shared by the worker threads (one lock per request).
    let httpCollector: Collector
    private let statsdUDP: UDPReceiver
    private let statsdTCP: TCPLineServer
    private let graphiteUDP: UDPReceiver
    private let graphiteTCP: TCPLineServer
    private let config: Config
    private let logger: Logger

    init(config: Config, store: AccountStore, storage: WriteBackCache, logger: Logger) throws {
        self.config = config
        self.logger = logger
        directory = TokenDirectory { try store.liveTokenDigests() }
        var options = StatsDIngest.Options()
        options.flushInterval = config.flushInterval
        options.idleExpiry = config.idleExpiry
        options.maxKeysPerTenant = config.tenantMaxKeys
        options.maxLinesPerSecond = config.tenantMaxLinesPerSecond
        ingest = StatsDIngest(directory: directory, storage: storage, options: options, logger: logger)
        httpCollector = ingest.makeCollector()
        (statsdUDP, statsdTCP) = try Self.bindPair(config.statsd, receiveBuffer: config.udpReceiveBuffer)
        (graphiteUDP, graphiteTCP) = try Self.bindPair(config.graphite, receiveBuffer: config.udpReceiveBuffer)
    }

    /// UDP and TCP on one port. With port 0 the UDP port the kernel picks may be taken for TCP: then try again.
    private static func bindPair(_ address: SocketAddress, receiveBuffer: Int) throws -> (UDPReceiver, TCPLineServer) {
        var attempt = 0
        while true {
            let udp = try UDPReceiver(address: address, receiveBuffer: receiveBuffer)
            do {
                return (udp, try TCPLineServer(address: SocketAddress(host: address.host, port: udp.address.port)))
            } catch let error as SystemError where error.errno == EADDRINUSE && address.port == 0 && attempt < 20 {
                udp.stop()
                attempt += 1
            }
        }
    }

    /// Reloads the live ingest tokens now, after this process issued or revoked one.
    func reloadTokens() {
        do { try directory.refresh() } catch { logger.error("cannot reload ingest tokens: \(error)") }
    }

    var statsdAddress: SocketAddress { statsdUDP.address }
    var graphiteAddress: SocketAddress { graphiteUDP.address }
    var receiveBuffer: Int { statsdUDP.receiveBuffer }

    func start(health: ComponentHealth) {
        let logger = logger
        directory.startRefreshing(every: config.tokenRefresh) { logger.error("cannot reload ingest tokens: \($0)") }
        let ingest = ingest
        let directory = directory
        statsdUDP.start(threads: 2, name: "statsd-udp") {
            let collector = ingest.makeCollector()
            var cache = TokenCache(directory: directory)
            var quota = LocalQuota()
            return { ingest.ingest(datagrams: $0, arrival: $1, into: collector, cache: &cache, quota: &quota) }
        }
        statsdTCP.start(name: "statsd-tcp") {
            let collector = ingest.makeCollector()
            var cache = TokenCache(directory: directory)
            var quota = LocalQuota()
            return { ingest.ingest(packets: $0, into: collector, cache: &cache, quota: &quota) }
        }
        graphiteUDP.start(threads: 1, name: "graphite-udp") {
            let collector = ingest.makeCollector()
            var cache = TokenCache(directory: directory)
            return { datagrams, _ in
                ingest.ingest(graphite: datagrams.map { String(decoding: $0, as: UTF8.self) }, into: collector, cache: &cache)
            }
        }
        graphiteTCP.start(name: "graphite-tcp") {
            let collector = ingest.makeCollector()
            var cache = TokenCache(directory: directory)
            return { ingest.ingest(graphite: $0, into: collector, cache: &cache) }
        }
        ingest.start()
        health.set("statsd", "ONLINE", reason: "UDP and TCP on \(statsdAddress), receive buffer \(receiveBuffer) bytes, flush every \(config.flushInterval) s")
        health.set("graphite", "ONLINE", reason: "TCP and UDP on \(graphiteAddress)")
        logger.info("StatsD on \(statsdAddress) (UDP receive buffer \(receiveBuffer) bytes), Graphite plaintext on \(graphiteAddress)")
        let finest = config.storageRules.retentions(for: "stats.counters.x.count").map(\.secondsPerPoint).min() ?? 10
        if config.flushInterval < Double(finest) {
            logger.warning("flush interval \(config.flushInterval) s is shorter than the finest archive step \(finest) s: points share slots")
        }
    }

    /// Stops receiving, then flushes everything aggregated into the storage engine.
    func stop(health: ComponentHealth) {
        statsdUDP.stop()
        statsdTCP.stop()
        graphiteUDP.stop()
        graphiteTCP.stop()
        directory.stopRefreshing()
        ingest.stop()
        health.set("statsd", "OFFLINE", reason: "stopped; the last flush was written")
        health.set("graphite", "OFFLINE", reason: "stopped")
    }
}
