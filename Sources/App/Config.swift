import Foundation
import Posix
import TOMLKit
import Whisper

/// Telewall's settings. Each is named once (`Config.Key`) and read from, in rising order of precedence,
/// the defaults, `telewall.toml`, `TELEWALL_<NAME>` environment variables and command-line flags.
public struct Config: Sendable {
    public var dataDirectory = "./data"
    public var http = SocketAddress(host: "127.0.0.1", port: 8080)
    public var https = SocketAddress(host: "127.0.0.1", port: 8443)
    public var tlsCertificate: String?
    public var tlsKey: String?
    public var statsd = SocketAddress(host: "127.0.0.1", port: 8125)
    public var graphite = SocketAddress(host: "127.0.0.1", port: 2003)
    /// When set, `/healthz` and `/metrics` move to their own listener.
    public var admin: SocketAddress?
    public var flushInterval = 10.0
    public var maxConnections = 4096
    public var loginLimit = 10
    public var signupLimit = 20
    public var publicDirectory = ResourceLocator.find("Public")
    public var migrationsDirectory = ResourceLocator.find("Migrations")
    public var headerTimeout = 10.0
    public var idleTimeout = 60.0
    /// Per-tenant limits (SPEC 3.5) and how long an idle StatsD key is remembered.
    public var tenantMaxKeys = 10_000
    public var tenantMaxLinesPerSecond = 100_000
    public var idleExpiry = 3600
    /// Bytes of kernel receive buffer asked for on the UDP sockets (the kernel may grant less).
    public var udpReceiveBuffer = 32 << 20
    /// Seconds between reloads of the live tokens: a new or revoked token takes effect within this.
    public var tokenRefresh = 2.0
    /// `[[storage.schema]]` and `[[storage.aggregation]]` from the file, before SPEC 4's defaults.
    public var storageRules = StorageRules.standard

    public init() {}

    /// Every setting by its name in TOML; the flag is `--name-with-dashes`, the variable `TELEWALL_NAME`.
    public enum Key: String, CaseIterable, Sendable {
        case data, http, https, tls_cert, tls_key, statsd, graphite, admin, flush_interval, max_connections
        case login_limit, signup_limit, public_dir, migrations_dir, header_timeout, idle_timeout
        case tenant_max_keys, tenant_max_lines_per_second, idle_expiry, udp_receive_buffer, token_refresh

        public var flag: String { rawValue.replacingOccurrences(of: "_", with: "-") }
        public var environmentVariable: String { "TELEWALL_" + rawValue.uppercased() }
    }

    public struct Invalid: Error, CustomStringConvertible {
        public let description: String
    }

    /// Builds the configuration from a config file (optional), the environment and explicit values (flags).
    public static func load(file: String?, environment: [String: String], overrides: [Key: String]) throws -> Config {
        var values: [Key: String] = [:]
        let path = file ?? (FileManager.default.fileExists(atPath: "telewall.toml") ? "telewall.toml" : nil)
        if let path { values.merge(try readTOML(path), uniquingKeysWith: { _, new in new }) }
        for key in Key.allCases { if let v = environment[key.environmentVariable] { values[key] = v } }
        values.merge(overrides, uniquingKeysWith: { _, new in new })
        var config = Config()
        for (key, value) in values { try config.apply(key, value) }
        if let path { config.storageRules = try readStorageRules(path) }
        return config
    }

    private static func readTOML(_ path: String) throws -> [Key: String] {
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw Invalid(description: "cannot read config file \(path): \(error.localizedDescription)")
        }
        let table: TOMLTable
        do { table = try TOMLTable(string: text) } catch {
            throw Invalid(description: "config file \(path) is not valid TOML: \(error)")
        }
        var values: [Key: String] = [:]
        for (name, value) in table {
            guard let key = Key(rawValue: name) else {
                if value.table != nil || value.array != nil { continue }  // sections that later parts read
                throw Invalid(description: "config file \(path): unknown setting '\(name)'")
            }
            if let s = value.string { values[key] = s }
            else if let i = value.int { values[key] = String(i) }
            else if let d = value.double { values[key] = String(d) }
            else if let b = value.bool { values[key] = String(b) }
            else { throw Invalid(description: "config file \(path): '\(name)' must be a string or a number") }
        }
        return values
    }

    /// `[[storage.schema]] pattern, retentions` and `[[storage.aggregation]] pattern, method, xFilesFactor`.
    private static func readStorageRules(_ path: String) throws -> StorageRules {
        guard let table = try? TOMLTable(string: String(contentsOfFile: path, encoding: .utf8)), let storage = table["storage"]?.table else {
            return .standard
        }
        func entries(_ name: String) -> [TOMLTable] {
            (storage[name]?.array).map { $0.compactMap { $0.table } } ?? []
        }
        func text(_ t: TOMLTable, _ key: String, _ section: String) throws -> String {
            guard let v = t[key]?.string else { throw Invalid(description: "config file \(path): [[storage.\(section)]] needs '\(key)' (a string)") }
            return v
        }
        do {
            let schemas = try entries("schema").map { (try text($0, "pattern", "schema"), try text($0, "retentions", "schema")) }
            let aggregations = try entries("aggregation").map { t in
                (try text(t, "pattern", "aggregation"), try text(t, "method", "aggregation"),
                 t["xFilesFactor"]?.double ?? t["xFilesFactor"]?.int.map(Double.init) ?? 0.5)
            }
            return try StorageRules(schemas: schemas, aggregations: aggregations)
        } catch let error as WhisperError {
            throw Invalid(description: "config file \(path): \(error)")
        }
    }

    private mutating func apply(_ key: Key, _ value: String) throws {
        switch key {
        case .data: dataDirectory = value
        case .http: http = try Self.address(key, value)
        case .https: https = try Self.address(key, value)
        case .tls_cert: tlsCertificate = value
        case .tls_key: tlsKey = value
        case .statsd: statsd = try Self.address(key, value)
        case .graphite: graphite = try Self.address(key, value)
        case .admin: admin = try Self.address(key, value)
        case .flush_interval: flushInterval = try Self.number(key, value, min: 0.01)
        case .max_connections: maxConnections = Int(try Self.number(key, value, min: 1))
        case .login_limit: loginLimit = Int(try Self.number(key, value, min: 1))
        case .signup_limit: signupLimit = Int(try Self.number(key, value, min: 1))
        case .public_dir: publicDirectory = value
        case .migrations_dir: migrationsDirectory = value
        case .header_timeout: headerTimeout = try Self.number(key, value, min: 0.05)
        case .idle_timeout: idleTimeout = try Self.number(key, value, min: 0.05)
        case .tenant_max_keys: tenantMaxKeys = Int(try Self.number(key, value, min: 1))
        case .tenant_max_lines_per_second: tenantMaxLinesPerSecond = Int(try Self.number(key, value, min: 1))
        case .idle_expiry: idleExpiry = Int(try Self.number(key, value, min: 1))
        case .udp_receive_buffer: udpReceiveBuffer = Int(try Self.number(key, value, min: 4096))
        case .token_refresh: tokenRefresh = try Self.number(key, value, min: 0.05)
        }
    }

    private static func address(_ key: Key, _ value: String) throws -> SocketAddress {
        guard let address = SocketAddress(parsing: value) else {
            throw Invalid(description: "\(key.flag): '\(value)' is not HOST:PORT")
        }
        return address
    }

    private static func number(_ key: Key, _ value: String, min: Double) throws -> Double {
        var text = value
        if text.hasSuffix("s") { text.removeLast() }
        guard let n = Double(text), n.isFinite, n >= min else {
            throw Invalid(description: "\(key.flag): '\(value)' is not a number of at least \(min)")
        }
        return n
    }

    var databasePath: String { dataDirectory + "/telewall.sqlite" }
    public var whisperDirectory: String { dataDirectory + "/whisper" }
}

/// Finds a directory the service ships with (`Public`, `Migrations`): beside the working directory,
/// or in a parent of the executable's directory (a SwiftPM build), or under /usr/share/telewall.
public enum ResourceLocator {
    public static func find(_ name: String) -> String {
        let fm = FileManager.default
        var candidates = [fm.currentDirectoryPath + "/" + name]
        var dir = URL(fileURLWithPath: CommandLine.arguments.first ?? ".").resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<6 {
            candidates.append(dir.appendingPathComponent(name).path)
            dir = dir.deletingLastPathComponent()
        }
        candidates.append("/usr/share/telewall/" + name)
        var isDirectory: ObjCBool = false
        return candidates.first { fm.fileExists(atPath: $0, isDirectory: &isDirectory) && isDirectory.boolValue } ?? name
    }
}
