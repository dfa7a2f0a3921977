import Foundation
import GRDB

/// Accounts, tenants, sessions, tokens and keys. All SQL of Telewall's accounts lives here.
public final class AccountStore: Sendable {
    public let database: DatabasePool
    public let throttle: ThrottlePolicy
    public static let sessionLifetimeSeconds: Int64 = 30 * 24 * 3600
    private let clock: @Sendable () -> Int64

    public init(database: DatabasePool, throttle: ThrottlePolicy = ThrottlePolicy(), clock: @escaping @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970) }) {
        self.database = database
        self.throttle = throttle
        self.clock = clock
    }

    // MARK: - Accounts

    /// Creates an account with its tenant and a first ingest token named "default".
    public func createAccount(email: String, password: String) throws -> (Account, IssuedSecret) {
        let email = email.trimmingCharacters(in: .whitespaces)
        try Self.validate(email: email, password: password)
        let hash = Secrets.hashPassword(password)
        let now = clock()
        return try database.write { db in
            if try Bool.fetchOne(db, sql: "SELECT 1 FROM accounts WHERE email = ?", arguments: [email]) == true {
                throw AccountsError.emailTaken
            }
            try db.execute(sql: "INSERT INTO accounts (email, password_hash, created_at) VALUES (?, ?, ?)", arguments: [email, hash, now])
            let id = db.lastInsertedRowID
            let tenantID = Secrets.newToken().prefix(16).description
            try db.execute(sql: "INSERT INTO tenants (id, account_id, created_at) VALUES (?, ?, ?)", arguments: [tenantID, id, now])
            let token = try Self.insertSecret(db, kind: .ingestToken, tenantID: tenantID, name: "default", now: now)
            return (Account(id: id, email: email, tenantID: tenantID, createdAt: now), token)
        }
    }

    /// Sign-up from the web: throttled per address, returns the first token and a session.
    public func signUp(email: String, password: String, address: String) throws -> (Login, IssuedSecret) {
        try checkThrottle(address: address, kind: "signup", limit: throttle.signups, window: throttle.signupWindowSeconds, failedOnly: false)
        try recordAttempt(address: address, kind: "signup", succeeded: true)
        let (account, token) = try createAccount(email: email, password: password)
        return (Login(account: account, sessionID: try startSession(accountID: account.id)), token)
    }

    /// Log-in: checks the password in constant time; failures are counted per address.
    public func logIn(email: String, password: String, address: String) throws -> Login {
        try checkThrottle(address: address, kind: "login", limit: throttle.failedLogins, window: throttle.loginWindowSeconds, failedOnly: true)
        let row = try database.read { db in
            try Row.fetchOne(db, sql: """
                SELECT a.id, a.email, a.password_hash, a.created_at, t.id AS tenant_id
                FROM accounts a JOIN tenants t ON t.account_id = a.id WHERE a.email = ?
                """, arguments: [email.trimmingCharacters(in: .whitespaces)])
        }
        let ok = Secrets.verifyPassword(password, against: row?["password_hash"] ?? Secrets.decoyHash) && row != nil
        try recordAttempt(address: address, kind: "login", succeeded: ok)
        guard ok, let row else { throw AccountsError.invalidCredentials }
        let account = Account(id: row["id"], email: row["email"], tenantID: row["tenant_id"], createdAt: row["created_at"])
        return Login(account: account, sessionID: try startSession(accountID: account.id))
    }

    public func account(email: String) throws -> Account? {
        try database.read { db in
            try Row.fetchOne(db, sql: """
                SELECT a.id, a.email, a.created_at, t.id AS tenant_id
                FROM accounts a JOIN tenants t ON t.account_id = a.id WHERE a.email = ?
                """, arguments: [email]).map(Self.account)
        }
    }

    // MARK: - Sessions

    private func startSession(accountID: Int64) throws -> String {
        let sessionID = Secrets.newSessionID()
        let now = clock()
        try database.write { db in
            try db.execute(sql: "DELETE FROM sessions WHERE expires_at < ?", arguments: [now])
            try db.execute(
                sql: "INSERT INTO sessions (digest, account_id, created_at, expires_at) VALUES (?, ?, ?, ?)",
                arguments: [Data(Secrets.digest(sessionID)), accountID, now, now + Self.sessionLifetimeSeconds])
        }
        return sessionID
    }

    /// The account of a live session, or nil.
    public func account(forSession sessionID: String) throws -> Account? {
        let now = clock()
        return try database.read { db in
            try Row.fetchOne(db, sql: """
                SELECT a.id, a.email, a.created_at, t.id AS tenant_id
                FROM sessions s JOIN accounts a ON a.id = s.account_id JOIN tenants t ON t.account_id = a.id
                WHERE s.digest = ? AND s.expires_at >= ?
                """, arguments: [Data(Secrets.digest(sessionID)), now]).map(Self.account)
        }
    }

    public func endSession(_ sessionID: String) throws {
        try database.write { db in
            try db.execute(sql: "DELETE FROM sessions WHERE digest = ?", arguments: [Data(Secrets.digest(sessionID))])
        }
    }

    // MARK: - Tokens and keys

    /// The account a live (not revoked) token or key belongs to; records its last use.
    public func account(forSecret value: String, kind: SecretKind) throws -> Account? {
        let digest = Data(Secrets.digest(value))
        let now = clock()
        return try database.write { db in
            guard let row = try Row.fetchOne(db, sql: """
                SELECT s.id AS secret_id, a.id, a.email, a.created_at, t.id AS tenant_id
                FROM \(kind.table) s JOIN tenants t ON t.id = s.tenant_id JOIN accounts a ON a.id = t.account_id
                WHERE s.digest = ? AND s.revoked_at IS NULL
                """, arguments: [digest])
            else { return nil }
            try db.execute(sql: "UPDATE \(kind.table) SET last_used_at = ? WHERE id = ?", arguments: [now, row["secret_id"] as Int64])
            return Self.account(row)
        }
    }

    /// SHA-256 digests of every live ingest token with its tenant: what the StatsD router matches tokens against.
    public func liveTokenDigests() throws -> [[UInt8]: String] {
        try database.read { db in
            var out: [[UInt8]: String] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT digest, tenant_id FROM ingest_tokens WHERE revoked_at IS NULL") {
                let digest: Data = row["digest"]
                out[[UInt8](digest)] = row["tenant_id"]
            }
            return out
        }
    }

    public func listSecrets(_ kind: SecretKind, tenantID: String) throws -> [SecretInfo] {
        try database.read { db in
            try Row.fetchAll(db, sql: """
                SELECT id, name, prefix, created_at, last_used_at FROM \(kind.table)
                WHERE tenant_id = ? AND revoked_at IS NULL ORDER BY id
                """, arguments: [tenantID]).map(Self.secretInfo)
        }
    }

    public func issueSecret(_ kind: SecretKind, tenantID: String, name: String) throws -> IssuedSecret {
        let name = name.trimmingCharacters(in: .whitespaces)
        guard !name.isEmpty, name.count <= 64, !name.contains(where: { $0.isNewline }) else {
            throw AccountsError.invalidName("a \(kind.noun) name is 1 to 64 characters on one line")
        }
        let now = clock()
        return try database.write { db in try Self.insertSecret(db, kind: kind, tenantID: tenantID, name: name, now: now) }
    }

    /// Revokes a token or key of this tenant; another tenant's id is "not found".
    public func revokeSecret(_ kind: SecretKind, tenantID: String, id: Int64) throws {
        let now = clock()
        try database.write { db in
            try db.execute(
                sql: "UPDATE \(kind.table) SET revoked_at = ? WHERE id = ? AND tenant_id = ? AND revoked_at IS NULL",
                arguments: [now, id, tenantID])
            guard db.changesCount == 1 else { throw AccountsError.notFound(kind.noun) }
        }
    }

    private static func insertSecret(_ db: Database, kind: SecretKind, tenantID: String, name: String, now: Int64) throws -> IssuedSecret {
        let value = Secrets.newToken()
        let prefix = String(value.prefix(Secrets.visiblePrefixLength))
        try db.execute(
            sql: "INSERT INTO \(kind.table) (tenant_id, name, prefix, digest, created_at) VALUES (?, ?, ?, ?, ?)",
            arguments: [tenantID, name, prefix, Data(Secrets.digest(value)), now])
        let info = SecretInfo(id: db.lastInsertedRowID, name: name, prefix: prefix, createdAt: now, lastUsedAt: nil)
        return IssuedSecret(info: info, value: value)
    }

    // MARK: - Throttling

    private func checkThrottle(address: String, kind: String, limit: Int, window: Int64, failedOnly: Bool) throws {
        let since = clock() - window
        let (count, oldest) = try database.read { db -> (Int, Int64?) in
            let row = try Row.fetchOne(db, sql: """
                SELECT COUNT(*) AS n, MIN(at) AS oldest FROM login_attempts
                WHERE address = ? AND kind = ? AND at > ? \(failedOnly ? "AND succeeded = 0" : "")
                """, arguments: [address, kind, since])
            return (row?["n"] ?? 0, row?["oldest"])
        }
        if count >= limit {
            throw AccountsError.throttled(retryAfterSeconds: Int(max(1, (oldest ?? since) + window - clock())))
        }
    }

    private func recordAttempt(address: String, kind: String, succeeded: Bool) throws {
        let now = clock()
        try database.write { db in
            try db.execute(sql: "DELETE FROM login_attempts WHERE at < ?", arguments: [now - 24 * 3600])
            try db.execute(
                sql: "INSERT INTO login_attempts (address, kind, at, succeeded) VALUES (?, ?, ?, ?)",
                arguments: [address, kind, now, succeeded])
        }
    }

    // MARK: - Rows and validation

    private static func account(_ row: Row) -> Account {
        Account(id: row["id"], email: row["email"], tenantID: row["tenant_id"], createdAt: row["created_at"])
    }

    private static func secretInfo(_ row: Row) -> SecretInfo {
        SecretInfo(id: row["id"], name: row["name"], prefix: row["prefix"], createdAt: row["created_at"], lastUsedAt: row["last_used_at"])
    }

    static func validate(email: String, password: String) throws {
        let parts = email.split(separator: "@", omittingEmptySubsequences: false)
        guard email.utf8.count <= 254, parts.count == 2, !parts[0].isEmpty, parts[1].contains("."),
            !parts[1].hasPrefix("."), !parts[1].hasSuffix("."),
            !email.contains(where: { $0.isWhitespace || $0.isNewline || $0 == "<" || $0 == ">" })
        else { throw AccountsError.invalidEmail }
        guard password.count >= 8 else { throw AccountsError.weakPassword("the password needs at least 8 characters") }
        guard password.utf8.count <= 1024 else { throw AccountsError.weakPassword("the password is longer than 1024 bytes") }
    }
}
