import Foundation
import GRDB
import TLS

/// Applies the ordered `.sql` files of a directory, each once, recorded by name with its checksum.
public struct Migrator: Sendable {
    public let directory: String

    public init(directory: String) { self.directory = directory }

    /// The `.sql` files in name order. A directory that cannot be listed is named, with where it is set: a
    /// binary started away from the `Migrations/` it ships with would otherwise fail with "file doesn't exist".
    public func migrationNames() throws -> [String] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else {
            throw AccountsError.migration(
                "cannot read the migrations directory '\(directory)': set migrations_dir in the config file, or start telewall where Migrations/ is")
        }
        return names.filter { $0.hasSuffix(".sql") }.sorted()
    }

    /// Applies every migration not yet recorded, each in its own transaction; returns the names applied.
    /// A recorded migration whose file changed since is an error: shipped migrations are never edited.
    @discardableResult
    public func migrate(_ writer: some DatabaseWriter) throws -> [String] {
        try writer.write { db in
            try db.execute(sql: """
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    name TEXT PRIMARY KEY, checksum TEXT NOT NULL, applied_at INTEGER NOT NULL)
                """)
        }
        var applied: [String] = []
        for name in try migrationNames() {
            let sql = try String(contentsOfFile: directory + "/" + name, encoding: .utf8)
            let checksum = Crypto.sha256Hex(sql)
            let didApply = try writer.write { db -> Bool in
                if let recorded = try String.fetchOne(db, sql: "SELECT checksum FROM schema_migrations WHERE name = ?", arguments: [name]) {
                    guard recorded == checksum else {
                        throw AccountsError.migration("migration \(name) was edited after it was applied")
                    }
                    return false
                }
                try db.execute(sql: sql)
                try db.execute(
                    sql: "INSERT INTO schema_migrations (name, checksum, applied_at) VALUES (?, ?, ?)",
                    arguments: [name, checksum, Int(Date().timeIntervalSince1970)])
                return true
            }
            if didApply { applied.append(name) }
        }
        return applied
    }
}
