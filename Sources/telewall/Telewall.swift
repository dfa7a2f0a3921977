import App
import ArgumentParser
import Foundation
import Logging
import Posix
import Whisper

extension Logger.Level: @retroactive ExpressibleByArgument {}

/// The `telewall` command line: parses arguments and hands over to `App`.
@main
struct Telewall: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Multi-tenant hosted StatsD/Graphite service.",
        subcommands: [Serve.self, Migrate.self, AccountCommand.self, TokenCommand.self, WhisperCommand.self, ImportWhisper.self],
        defaultSubcommand: Serve.self)
}

/// Flags every command takes; each maps to a `Config.Key`.
struct CommonOptions: ParsableArguments {
    @Option(help: "Data directory (env TELEWALL_DATA).") var data: String?
    @Option(help: "Config file (default: ./telewall.toml when present).") var config: String?
    @Option(help: "Log level: trace, debug, info, notice, warning, error.") var logLevel: Logger.Level = .info

    func load(_ extra: [Config.Key: String?] = [:]) throws -> Config {
        var overrides: [Config.Key: String] = extra.compactMapValues { $0 }
        if let data { overrides[.data] = data }
        return try Config.load(file: config, environment: ProcessInfo.processInfo.environment, overrides: overrides)
    }

    func logger(_ label: String) -> Logger {
        let level = logLevel
        LoggingSystem.bootstrap { name in
            var handler = StreamLogHandler.standardError(label: name)
            handler.logLevel = level
            return handler
        }
        return Logger(label: label)
    }
}

struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the service (the default command).")

    @OptionGroup var common: CommonOptions
    @Option(help: "HTTP listener HOST:PORT (default 127.0.0.1:8080).") var http: String?
    @Option(help: "HTTPS listener HOST:PORT (default 127.0.0.1:8443), on with --tls-cert and --tls-key.") var https: String?
    @Option(help: "TLS certificate chain, PEM.") var tlsCert: String?
    @Option(help: "TLS private key, PEM.") var tlsKey: String?
    @Option(help: "StatsD UDP and TCP listener HOST:PORT (default 127.0.0.1:8125).") var statsd: String?
    @Option(help: "Graphite plaintext TCP and UDP listener HOST:PORT (default 127.0.0.1:2003).") var graphite: String?
    @Option(help: "Serve /healthz and /metrics on their own listener HOST:PORT.") var admin: String?
    @Option(help: "StatsD flush interval in seconds (default 10).") var flushInterval: String?
    @Option(help: "Most HTTP connections at once (default 4096).") var maxConnections: String?
    @Option(help: "Failed log-ins per address in 15 minutes before 429 (default 10).") var loginLimit: String?
    @Option(help: "Sign-ups per address per hour before 429 (default 20).") var signupLimit: String?

    func run() throws {
        let config = try common.load([
            .http: http, .https: https, .tls_cert: tlsCert, .tls_key: tlsKey, .statsd: statsd, .graphite: graphite,
            .admin: admin, .flush_interval: flushInterval, .max_connections: maxConnections,
            .login_limit: loginLimit, .signup_limit: signupLimit,
        ])
        let logger = common.logger("telewall")
        Allocator.keepFreedMemory()
        let app = try buildApp(config: config, logger: logger)
        try app.start()
        let signal = waitForTermination()
        logger.notice("received \(signal), draining and stopping")
        app.stop()
        logger.notice("stopped")
    }

    /// Blocks until SIGTERM or SIGINT and returns its name.
    private func waitForTermination() -> String {
        let received = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var name = ""
        var sources: [DispatchSourceSignal] = []
        for (number, label) in [(SIGTERM, "SIGTERM"), (SIGINT, "SIGINT")] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler {
                name = label
                received.signal()
            }
            source.resume()
            sources.append(source)
        }
        received.wait()
        return name
    }
}

struct Migrate: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Apply the SQL migrations and exit.")
    @OptionGroup var common: CommonOptions

    func run() throws {
        let app = try buildApp(config: try common.load(), logger: common.logger("telewall"))
        print("database \(app.config.dataDirectory)/telewall.sqlite is up to date")
    }
}

struct AccountCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "account", abstract: "Manage accounts.", subcommands: [Create.self])

    struct Create: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create an account and print its first ingest token.")
        @OptionGroup var common: CommonOptions
        @Option(help: "The account's email address.") var email: String
        @Option(help: "The password (or set TELEWALL_PASSWORD).") var password: String?

        func run() throws {
            guard let password = password ?? ProcessInfo.processInfo.environment["TELEWALL_PASSWORD"] else {
                throw ValidationError("give --password or TELEWALL_PASSWORD")
            }
            let app = try buildApp(config: try common.load(), logger: common.logger("telewall"))
            let (account, token) = try app.store.createAccount(email: email, password: password)
            print("account \(account.id) <\(account.email)> tenant \(account.tenantID)")
            print("ingest token (shown once): \(token.value)")
        }
    }
}

struct TokenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "token", abstract: "Manage ingest tokens.", subcommands: [Issue.self])

    struct Issue: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Issue an ingest token and print it once.")
        @OptionGroup var common: CommonOptions
        @Option(help: "The account's email address.") var account: String
        @Option(help: "A name for the token.") var name: String = "cli"

        func run() throws {
            let app = try buildApp(config: try common.load(), logger: common.logger("telewall"))
            guard let owner = try app.store.account(email: account) else { throw ValidationError("no account \(account)") }
            let token = try app.store.issueSecret(.ingestToken, tenantID: owner.tenantID, name: name)
            print(token.value)
        }
    }
}
