import Accounts
import Foundation
import GRDB
import HTTP
import Logging
import Posix
import Synchronization
import TLS
import Whisper

/// The whole service, wired from a `Config`. `main` and the tests both build it with `buildApp`.
public final class TelewallApp: Sendable {
    public let config: Config
    public let store: AccountStore
    public let health: ComponentHealth
    /// The round-robin engine's write-back cache: every series write and read goes through it.
    public let storage: WriteBackCache
    private let logger: Logger
    private let servers = Mutex<[(name: String, server: HTTPServer)]>([])
    private let bound = Mutex<[String: SocketAddress]>([:])

    init(config: Config, store: AccountStore, health: ComponentHealth, storage: WriteBackCache, logger: Logger) {
        self.config = config
        self.store = store
        self.health = health
        self.storage = storage
        self.logger = logger
    }

    /// The address each listener is bound to ("http", "https", "admin"), known after `start`.
    public func address(of listener: String) -> SocketAddress? { bound.withLock { $0[listener] } }

    /// Starts every listener. Parts of SPEC 1 not built yet are reported in `/healthz` as DISABLED.
    public func start() throws {
        let tls = try tlsContext()
        try launch("http", config.http, tls: nil, router: makeRouter(operations: config.admin == nil))
        if let tls { try launch("https", config.https, tls: tls, router: makeRouter(operations: config.admin == nil)) }
        if let admin = config.admin {
            var router = Router()
            operationsRoutes.register(in: &router)
            try launch("admin", admin, tls: nil, router: router)
        }
        for (name, address) in [("statsd", config.statsd), ("graphite", config.graphite)] {
            health.set(name, "DISABLED", reason: "\(name) ingest on \(address) is not part of this build yet")
            logger.notice("\(name) listener \(address) is not available yet")
        }
        storage.start()
        health.set("storage", "ONLINE", reason: "writing to \(storage.paths.root) with \(storage.options.writerThreads) writer threads")
        health.set("database", "ONLINE", reason: "migrations applied")
    }

    /// Stops accepting and drains in-flight requests, then closes the listeners.
    public func stop(drainTimeout: Double = 10) {
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
        var configuration = ServerConfiguration(address: address, tls: tls)
        configuration.maxConnections = config.maxConnections
        configuration.headerTimeout = config.headerTimeout
        configuration.idleTimeout = config.idleTimeout
        let server = HTTPServer(configuration: configuration, router: router, logger: logger)
        let actual = try server.start()
        servers.withLock { $0.append((name, server)) }
        bound.withLock { $0[name] = actual }
        health.set(name, "ONLINE", reason: "listening on \(actual)")
    }

    private func tlsContext() throws -> TLSContext? {
        switch (config.tlsCertificate, config.tlsKey) {
        case (nil, nil): return nil
        case (let cert?, let key?): return try TLSContext(certificateFile: cert, keyFile: key)
        default: throw Config.Invalid(description: "--tls-cert and --tls-key go together")
        }
    }

    private var operationsRoutes: OperationsRoutes {
        OperationsRoutes(health: health, storage: storage.stats, openFiles: { [weak self] in self?.storage.openFiles ?? 0 }) { [weak self] in
            self?.servers.withLock { $0.map { ($0.name, $0.server.metrics) } } ?? []
        }
    }

    private func makeRouter(operations: Bool) -> Router {
        var router = Router()
        if operations { operationsRoutes.register(in: &router) }
        AccountRoutes(store: store, auth: Authenticator(store: store)).register(in: &router)
        let files = StaticFiles(root: config.publicDirectory)
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
    let storage = WriteBackCache(
        paths: SeriesPaths(root: config.whisperDirectory), rules: config.storageRules,
        onError: { message in logger.error("storage: \(message)") })
    return TelewallApp(
        config: config, store: AccountStore(database: database, throttle: throttle), health: ComponentHealth(),
        storage: storage, logger: logger)
}
