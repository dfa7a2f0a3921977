import Foundation
import GRDB

/// What a tenant hangs on a TV: a dashboard, or a playlist that rotates dashboards.
public enum BoardKind: String, Sendable {
    case dashboard
    case playlist

    var table: String { self == .dashboard ? "dashboards" : "playlists" }
    var shareColumn: String { self == .dashboard ? "dashboard_id" : "playlist_id" }
}

/// A stored dashboard or playlist: its JSON document as text, validated by the caller before it is saved.
public struct Board: Sendable, Equatable {
    public let id: Int64
    public let kind: BoardKind
    public let tenantID: String
    public let document: String
    public let createdAt: Int64
    public let updatedAt: Int64
    /// The visible prefix of its live share key, if it is shared.
    public let sharePrefix: String?
}

/// Dashboards, playlists and their share keys. Every query is scoped by tenant: another tenant's id is "not found".
public struct BoardStore: Sendable {
    public let database: DatabasePool
    /// Most dashboards (and, apart, most playlists) one tenant may keep.
    public let maxPerTenant: Int
    private let clock: @Sendable () -> Int64

    public init(database: DatabasePool, maxPerTenant: Int = 1000, clock: @escaping @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970) }) {
        self.database = database
        self.maxPerTenant = maxPerTenant
        self.clock = clock
    }

    private static func select(_ kind: BoardKind) -> String {
        """
        SELECT b.id, b.tenant_id, b.document, b.created_at, b.updated_at,
               (SELECT prefix FROM share_keys s WHERE s.\(kind.shareColumn) = b.id AND s.revoked_at IS NULL) AS share_prefix
        FROM \(kind.table) b
        """
    }

    public func list(_ kind: BoardKind, tenantID: String) throws -> [Board] {
        try database.read { db in
            try Row.fetchAll(db, sql: Self.select(kind) + " WHERE b.tenant_id = ? ORDER BY b.id", arguments: [tenantID])
                .map { Self.board($0, kind) }
        }
    }

    public func board(_ kind: BoardKind, tenantID: String, id: Int64) throws -> Board {
        let row = try database.read { db in
            try Row.fetchOne(db, sql: Self.select(kind) + " WHERE b.tenant_id = ? AND b.id = ?", arguments: [tenantID, id])
        }
        guard let row else { throw AccountsError.notFound(kind.rawValue) }
        return Self.board(row, kind)
    }

    public func create(_ kind: BoardKind, tenantID: String, document: String) throws -> Board {
        let now = clock()
        let id = try database.write { db in
            let count = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM \(kind.table) WHERE tenant_id = ?", arguments: [tenantID]) ?? 0
            guard count < maxPerTenant else {
                throw AccountsError.limitReached("an account keeps at most \(maxPerTenant) \(kind.rawValue)s; delete one first")
            }
            try db.execute(
                sql: "INSERT INTO \(kind.table) (tenant_id, document, created_at, updated_at) VALUES (?, ?, ?, ?)",
                arguments: [tenantID, document, now, now])
            return db.lastInsertedRowID
        }
        return Board(id: id, kind: kind, tenantID: tenantID, document: document, createdAt: now, updatedAt: now, sharePrefix: nil)
    }

    public func update(_ kind: BoardKind, tenantID: String, id: Int64, document: String) throws {
        let now = clock()
        try database.write { db in
            try db.execute(
                sql: "UPDATE \(kind.table) SET document = ?, updated_at = ? WHERE id = ? AND tenant_id = ?",
                arguments: [document, now, id, tenantID])
            guard db.changesCount == 1 else { throw AccountsError.notFound(kind.rawValue) }
        }
    }

    /// Deletes a board; its share key goes with it.
    public func delete(_ kind: BoardKind, tenantID: String, id: Int64) throws {
        try database.write { db in
            try db.execute(sql: "DELETE FROM \(kind.table) WHERE id = ? AND tenant_id = ?", arguments: [id, tenantID])
            guard db.changesCount == 1 else { throw AccountsError.notFound(kind.rawValue) }
        }
    }

    /// Issues a new share key for a board, retiring the one it had: the value is returned once, only its digest kept.
    public func share(_ kind: BoardKind, tenantID: String, id: Int64) throws -> String {
        let key = Secrets.newToken()
        let now = clock()
        try database.write { db in
            guard try Bool.fetchOne(db, sql: "SELECT 1 FROM \(kind.table) WHERE id = ? AND tenant_id = ?", arguments: [id, tenantID]) == true
            else { throw AccountsError.notFound(kind.rawValue) }
            try db.execute(
                sql: "UPDATE share_keys SET revoked_at = ? WHERE \(kind.shareColumn) = ? AND revoked_at IS NULL", arguments: [now, id])
            try db.execute(
                sql: "INSERT INTO share_keys (tenant_id, \(kind.shareColumn), prefix, digest, created_at) VALUES (?, ?, ?, ?, ?)",
                arguments: [tenantID, id, String(key.prefix(Secrets.visiblePrefixLength)), Data(Secrets.digest(key)), now])
        }
        return key
    }

    /// Revokes a board's share key; "not found" when the board is not this tenant's or was not shared.
    public func unshare(_ kind: BoardKind, tenantID: String, id: Int64) throws {
        let now = clock()
        try database.write { db in
            try db.execute(
                sql: "UPDATE share_keys SET revoked_at = ? WHERE \(kind.shareColumn) = ? AND tenant_id = ? AND revoked_at IS NULL",
                arguments: [now, id, tenantID])
            guard db.changesCount > 0 else { throw AccountsError.notFound("share key") }
        }
    }

    /// The board a live share key opens, or nil.
    public func board(forShareKey key: String) throws -> Board? {
        let digest = Data(Secrets.digest(key))
        return try database.read { db in
            guard let share = try Row.fetchOne(db, sql: """
                SELECT dashboard_id, playlist_id FROM share_keys WHERE digest = ? AND revoked_at IS NULL
                """, arguments: [digest])
            else { return nil }
            let (kind, id): (BoardKind, Int64) =
                if let dashboard: Int64 = share["dashboard_id"] { (.dashboard, dashboard) } else { (.playlist, share["playlist_id"]) }
            return try Row.fetchOne(db, sql: Self.select(kind) + " WHERE b.id = ?", arguments: [id]).map { Self.board($0, kind) }
        }
    }

    private static func board(_ row: Row, _ kind: BoardKind) -> Board {
        Board(
            id: row["id"], kind: kind, tenantID: row["tenant_id"], document: row["document"], createdAt: row["created_at"],
            updatedAt: row["updated_at"], sharePrefix: row["share_prefix"])
    }
}
