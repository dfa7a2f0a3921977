import Foundation
import GRDB

/// Opens the accounts database: SQLite in WAL mode through a GRDB pool (one writer, many readers).
public enum AccountDatabase {
    public static func open(path: String) throws -> DatabasePool {
        var configuration = Configuration()
        configuration.foreignKeysEnabled = true
        configuration.busyMode = .timeout(5)
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
        }
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }
        return try DatabasePool(path: path, configuration: configuration)
    }
}
