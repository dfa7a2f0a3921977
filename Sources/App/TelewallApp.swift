import Accounts
import Foundation
import GRDB
import HTTP
import Logging
import Posix
import Synchronization
import StatsD
import TLS
import Whisper

/// The whole service, wired from a `Config`. `main` and the tests both build it with `buildApp`.
public final class TelewallApp: Sendable {
    public let config: Config
    public let store: AccountStore
    public let health: ComponentHealth
    /// The round-robin engine's write-back cache: every series write and read goes through it.
    public let storage: WriteBackCache
    /// Credentials to accounts, with their short-lived caches: one for every listener.
    let auth: Authenticator
    private let logger: Logger
    private let servers = Mutex<[(name: String, server: HTTPServer)]>([])
    private let bound = Mutex<[String: SocketAddress]>([:])
    /// StatsD and Graphite listeners: made in `start`, so that commands like `migrate` bind nothing.
    private let ingestService = Mutex<IngestService?>(nil)

    /// The ingest pipeline once started (HTTP ingest, usage and metrics read it).
    var ingest: IngestService? { ingestService.withLock { $0 } }

    init(config: Config, store: AccountStore, health: ComponentHealth, storage: WriteBackCache, logger: Logger) {
        self.config = config
        self.store = store
        self.health = health
        self.storage = storage
        self.logger = logger
        self.auth = Authenticator(store: store)
    }

    /// The address each listener is bound to ("http", "https", "admin"), known after `start`.
    public func address(of listener: String) -> SocketAddress? { bound.withLock { $0[listener] } }

    /// Starts every listener: HTTP (and HTTPS, admin), StatsD, Graphite, and the storage writers.
    public func start() throws {
        let tls = try tlsContext()
        // One router for HTTP and HTTPS, with the app's one Authenticator: what is revoked through either ends on
        // both at once.
        let router = makeRouter(operations: config.admin == nil)
        try launch("http", config.http, tls: nil, router: router)
        if let tls { try launch("https", config.https, tls: tls, router: router) }
        if let admin = config.admin {
            var router = Router()
            operationsRoutes.register(in: &router)
            try launch("admin", admin, tls: nil, router: router)
        }
        storage.start()
        let service = try IngestService(config: config, store: store, storage: storage, logger: logger)
        ingestService.withLock { $0 = service }
        bound.withLock {
            $0["statsd"] = service.statsdAddress
            $0["graphite"] = service.graphiteAddress
        }
        service.start(health: health)
        health.set("storage", "ONLINE", reason: "writing to \(storage.paths.root) with \(storage.options.writerThreads) writer threads")
        health.set("database", "ONLINE", reason: "migrations applied")
    }

    /// Stops receiving metrics, drains in-flight requests, flushes what was aggregated and writes everything
    /// buffered: nothing that was received is lost.
    public func stop(drainTimeout: Double = 10) {
        if let service = ingestService.withLock({ s -> IngestService? in defer { s = nil }; return s }) {
            service.stop(health: health)
        }
        let running = servers.withLock { all in
            defer { all.removeAll() }
            return all
        }
        for (name, server) in running {
            server.shutdown(drainTimeout: drainTimeout)
            health.set(name, "OFFLINE", reason: "stopped")
        }
        storage.stop()
        health.set("storage", "OFFLINE", reason: "stopped; everything buffered was written")
    }

    private func launch(_ name: String, _ address: SocketAddress, tls: TLSContext?, router: Router) throws {
        let server = HTTPServer(configuration: serverConfiguration(address, tls: tls), router: router, logger: logger)
        let actual = try server.start()
        servers.withLock { $0.append((name, server)) }
        bound.withLock { $0[name] = actual }
        health.set(name, "ONLINE", reason: "listening on \(actual)")
    }

    /// How every listener's HTTP server is set up: the config's limits, and worker-pool turns by tenant.
    func serverConfiguration(_ address: SocketAddress, tls: TLSContext?) -> ServerConfiguration {
        var configuration = ServerConfiguration(address: address, tls: tls)
        configuration.maxConnections = config.maxConnections
        configuration.headerTimeout = config.headerTimeout
        configuration.idleTimeout = config.idleTimeout
        configuration.fairnessKey = { [auth] in auth.fairnessKey($0) }
        return configuration
    }

    private func tlsContext() throws -> TLSContext? {
        switch (config.tlsCertificate, config.tlsKey) {
        case (nil, nil): return nil
        case (let cert?, let key?): return try TLSContext(certificateFile: cert, keyFile: key)
        default: throw Config.Invalid(description: "--tls-cert and --tls-key go together")
        }
    }

    private var operationsRoutes: OperationsRoutes {
        OperationsRoutes(
            health: health, storage: storage.stats, openFiles: { [weak self] in self?.storage.openFiles ?? 0 },
            ingest: { [weak self] in self?.ingest }
        ) { [weak self] in
            self?.servers.withLock { $0.map { ($0.name, $0.server.metrics) } } ?? []
        }
    }

    private func makeRouter(operations: Bool) -> Router {
        var router = Router()
        if operations { operationsRoutes.register(in: &router) }
        AccountRoutes(
            store: store, auth: auth,
            usage: { [weak self] tenant in self?.ingest?.ingest.usage(tenant: tenant) ?? TenantState.Usage() },
            ingestTokensChanged: { [weak self] in self?.ingest?.reloadTokens() }
        ).register(in: &router)
        IngestRoutes(ingest: { [weak self] in self?.ingest }).register(in: &router)
        let source = SeriesSource(storage: storage)
        RenderRoutes(auth: auth, source: source).register(in: &router)
        let files = StaticFiles(root: config.publicDirectory)
        BoardRoutes(auth: auth, source: source) { request, path in
            var page = request
            page.target = path
            return files.respond(to: page)
        }.register(in: &router)
        router.fallback = { files.respond(to: $0) }
        return router
    }
}

/// Opens the data directory and database, applies migrations and returns the app, ready to `start`.
public func buildApp(config: Config, logger: Logger) throws -> TelewallApp {
    try FileManager.default.createDirectory(atPath: config.dataDirectory, withIntermediateDirectories: true)
    let database = try AccountDatabase.open(path: config.databasePath)
    let applied = try Migrator(directory: config.migrationsDirectory).migrate(database)
    if !applied.isEmpty { logger.info("applied migrations: \(applied.joined(separator: ", "))") }
    var throttle = ThrottlePolicy()
    throttle.failedLogins = config.loginLimit
    throttle.signups = config.signupLimit
    var storageOptions = WriteBackCache.Options()
    // Points wait for the writers well within one flush interval (SPEC 4: a crash loses at most one).
    storageOptions.writeDelay = min(storageOptions.writeDelay, config.flushInterval / 4)
    let storage = WriteBackCache(
        paths: SeriesPaths(root: config.whisperDirectory), rules: config.storageRules, options: storageOptions,
        onError: { message in logger.error("storage: \(message)") })
    return TelewallApp(
        config: config, store: AccountStore(database: database, throttle: throttle), health: ComponentHealth(),
        storage: storage, logger: logger)
}
