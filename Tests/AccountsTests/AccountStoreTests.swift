import Foundation
import GRDB
import Synchronization
import Testing
import TestSupport

@testable import Accounts

/// A clock that tests move by hand.
final class ManualClock: Sendable {
    private let now = Mutex<Int64>(1_800_000_000)
    var reading: @Sendable () -> Int64 { { self.now.withLock { $0 } } }
    func advance(_ seconds: Int64) { now.withLock { $0 += seconds } }
}

struct Fixture {
    let directory = temporaryDirectory()
    let clock = ManualClock()
    let database: DatabasePool
    let store: AccountStore
    static let migrations = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Migrations").path

    init(throttle: ThrottlePolicy = ThrottlePolicy()) throws {
        database = try AccountDatabase.open(path: directory + "/telewall.sqlite")
        try Migrator(directory: Self.migrations).migrate(database)
        store = AccountStore(database: database, throttle: throttle, clock: clock.reading)
    }
}

@Suite struct MigratorTests {
    @Test func migrationsApplyOnceAndAreRecordedByName() throws {
        let dir = temporaryDirectory()
        let migrations = dir + "/migrations"
        try FileManager.default.createDirectory(atPath: migrations, withIntermediateDirectories: true)
        try "CREATE TABLE a (x INTEGER);".write(toFile: migrations + "/0001_a.sql", atomically: true, encoding: .utf8)
        try "CREATE TABLE b (y INTEGER); INSERT INTO b VALUES (1);".write(toFile: migrations + "/0002_b.sql", atomically: true, encoding: .utf8)
        let db = try AccountDatabase.open(path: dir + "/t.sqlite")
        let migrator = Migrator(directory: migrations)
        #expect(try migrator.migrate(db) == ["0001_a.sql", "0002_b.sql"])
        #expect(try migrator.migrate(db) == [])
        #expect(try db.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM b") } == 1, "the second run did not re-apply")
        #expect(try db.read { try String.fetchAll($0, sql: "SELECT name FROM schema_migrations ORDER BY name") } == ["0001_a.sql", "0002_b.sql"])
        try "CREATE TABLE c (z INTEGER);".write(toFile: migrations + "/0003_c.sql", atomically: true, encoding: .utf8)
        #expect(try migrator.migrate(db) == ["0003_c.sql"])
    }

    @Test func anEditedMigrationIsRefused() throws {
        let dir = temporaryDirectory()
        try "CREATE TABLE a (x INTEGER);".write(toFile: dir + "/0001_a.sql", atomically: true, encoding: .utf8)
        let db = try AccountDatabase.open(path: dir + "/t.sqlite")
        try Migrator(directory: dir).migrate(db)
        try "CREATE TABLE a (x INTEGER, y TEXT);".write(toFile: dir + "/0001_a.sql", atomically: true, encoding: .utf8)
        #expect(throws: AccountsError.migration("migration 0001_a.sql was edited after it was applied")) {
            try Migrator(directory: dir).migrate(db)
        }
    }

    @Test func aMissingMigrationsDirectoryIsNamedWithTheSettingThatMovesIt() throws {
        let dir = temporaryDirectory()
        let db = try AccountDatabase.open(path: dir + "/t.sqlite")
        #expect(throws: AccountsError.migration(
            "cannot read the migrations directory '\(dir)/nowhere': set migrations_dir in the config file, or start telewall where Migrations/ is")) {
            try Migrator(directory: dir + "/nowhere").migrate(db)
        }
    }

    @Test func aFailingMigrationLeavesNothingBehind() throws {
        let dir = temporaryDirectory()
        try "CREATE TABLE a (x INTEGER); CREATE TABLE broken (;".write(toFile: dir + "/0001_a.sql", atomically: true, encoding: .utf8)
        let db = try AccountDatabase.open(path: dir + "/t.sqlite")
        #expect(throws: (any Error).self) { try Migrator(directory: dir).migrate(db) }
        #expect(try db.read { try $0.tableExists("a") } == false)
        #expect(try db.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM schema_migrations") } == 0)
    }

    @Test func theDatabaseRunsInWALMode() throws {
        let f = try Fixture()
        #expect(try f.database.read { try String.fetchOne($0, sql: "PRAGMA journal_mode") } == "wal")
    }
}

@Suite struct AccountStoreTests {
    @Test func aTokenIsStoredOnlyAsADigest() throws {
        let f = try Fixture()
        let (account, token) = try f.store.createAccount(email: "dev@example.com", password: "correct horse")
        let key = try f.store.issueSecret(.readKey, tenantID: account.tenantID, name: "grafana")
        let login = try f.store.logIn(email: "dev@example.com", password: "correct horse", address: "127.0.0.1")
        #expect(token.value.count >= 26 && token.value.allSatisfy { $0.isLowercase || $0.isNumber })
        // No column of any table holds a secret in clear...
        let secrets = [token.value, key.value, login.sessionID, "correct horse"]
        try f.database.read { db in
            for table in try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table'") {
                for row in try Row.fetchAll(db, sql: "SELECT * FROM \(table)") {
                    for value in row.databaseValues {
                        let text = String(describing: value)
                        for secret in secrets { #expect(!text.contains(secret), "\(table) holds a secret") }
                    }
                }
            }
            // ...and the token's row holds exactly its SHA-256 and its visible prefix.
            let row = try #require(try Row.fetchOne(db, sql: "SELECT digest, prefix FROM ingest_tokens WHERE id = ?", arguments: [token.info.id]))
            #expect(row["prefix"] == String(token.value.prefix(6)))
            let digest: Data = row["digest"]
            #expect(digest.map { String(format: "%02x", $0) }.joined() == sha256sum(token.value))
        }
        // Nor do the bytes of the database files, WAL included.
        for suffix in ["", "-wal"] {
            let bytes = (try? Data(contentsOf: URL(fileURLWithPath: f.directory + "/telewall.sqlite" + suffix))) ?? Data()
            for secret in secrets { #expect(bytes.range(of: Data(secret.utf8)) == nil) }
        }
    }

    @Test func passwordsAreHashedWithPBKDF2AtFullStrength() throws {
        let f = try Fixture()
        _ = try f.store.createAccount(email: "dev@example.com", password: "correct horse")
        let stored = try f.database.read { try String.fetchOne($0, sql: "SELECT password_hash FROM accounts") }
        let parts = try #require(stored?.split(separator: "$"))
        #expect(parts.count == 4 && parts[0] == "pbkdf2-sha256" && Int(parts[1])! >= 600_000)
    }

    @Test func aRevokedTokenIsRejectedAndOnlyItsOwnerCanRevoke() throws {
        let f = try Fixture()
        let (alice, aliceToken) = try f.store.createAccount(email: "alice@example.com", password: "password-a")
        let (bob, _) = try f.store.createAccount(email: "bob@example.com", password: "password-b")
        #expect(try f.store.account(forSecret: aliceToken.value, kind: .ingestToken)?.id == alice.id)
        #expect(try f.store.account(forSecret: aliceToken.value, kind: .readKey) == nil, "a token is not a read key")
        #expect(throws: AccountsError.notFound("token")) {
            try f.store.revokeSecret(.ingestToken, tenantID: bob.tenantID, id: aliceToken.info.id)
        }
        #expect(try f.store.account(forSecret: aliceToken.value, kind: .ingestToken) != nil)
        try f.store.revokeSecret(.ingestToken, tenantID: alice.tenantID, id: aliceToken.info.id)
        #expect(try f.store.account(forSecret: aliceToken.value, kind: .ingestToken) == nil)
        #expect(try f.store.listSecrets(.ingestToken, tenantID: alice.tenantID).isEmpty)
        #expect(throws: AccountsError.notFound("token")) {
            try f.store.revokeSecret(.ingestToken, tenantID: alice.tenantID, id: aliceToken.info.id)
        }
    }

    @Test func emailsAreUniqueWhateverTheirCase() throws {
        let f = try Fixture()
        _ = try f.store.createAccount(email: "Dev@Example.com", password: "password-1")
        #expect(throws: AccountsError.emailTaken) { try f.store.createAccount(email: "dev@example.COM", password: "password-2") }
    }

    @Test(arguments: ["", "no-at-sign", "@example.com", "a@b", "a@.com", "a@b.", "a b@c.com", "a@b@c.com", "<x>@y.com"])
    func invalidEmailsAreRefused(email: String) throws {
        let f = try Fixture()
        #expect(throws: AccountsError.invalidEmail) { try f.store.createAccount(email: email, password: "long enough") }
    }

    @Test func shortPasswordsAreRefused() throws {
        let f = try Fixture()
        #expect(throws: AccountsError.weakPassword("the password needs at least 8 characters")) {
            try f.store.createAccount(email: "a@b.io", password: "1234567")
        }
    }

    @Test func sessionsEndAndExpire() throws {
        let f = try Fixture()
        _ = try f.store.createAccount(email: "a@b.io", password: "password")
        let first = try f.store.logIn(email: "a@b.io", password: "password", address: "1.1.1.1")
        let second = try f.store.logIn(email: "a@b.io", password: "password", address: "1.1.1.1")
        try f.store.endSession(first.sessionID)
        #expect(try f.store.account(forSession: first.sessionID) == nil)
        #expect(try f.store.account(forSession: second.sessionID)?.email == "a@b.io")
        f.clock.advance(AccountStore.sessionLifetimeSeconds + 1)
        #expect(try f.store.account(forSession: second.sessionID) == nil)
    }

    @Test func repeatedFailedLoginsFromOneAddressAreThrottledForTheWindow() throws {
        var policy = ThrottlePolicy()
        policy.failedLogins = 3
        let f = try Fixture(throttle: policy)
        _ = try f.store.createAccount(email: "a@b.io", password: "password")
        for _ in 0..<3 {
            #expect(throws: AccountsError.invalidCredentials) { try f.store.logIn(email: "a@b.io", password: "wrong-one", address: "10.0.0.1") }
        }
        #expect(throws: AccountsError.throttled(retryAfterSeconds: 900)) {
            try f.store.logIn(email: "a@b.io", password: "password", address: "10.0.0.1")
        }
        // Another address is not affected; the window passing lifts the block.
        _ = try f.store.logIn(email: "a@b.io", password: "password", address: "10.0.0.2")
        f.clock.advance(600)
        #expect(throws: AccountsError.throttled(retryAfterSeconds: 300)) {
            try f.store.logIn(email: "a@b.io", password: "password", address: "10.0.0.1")
        }
        f.clock.advance(301)
        _ = try f.store.logIn(email: "a@b.io", password: "password", address: "10.0.0.1")
    }

    @Test func signUpsFromOneAddressAreLimited() throws {
        var policy = ThrottlePolicy()
        policy.signups = 2
        let f = try Fixture(throttle: policy)
        _ = try f.store.signUp(email: "a@b.io", password: "password", address: "10.0.0.9")
        #expect(throws: AccountsError.emailTaken) { try f.store.signUp(email: "a@b.io", password: "password", address: "10.0.0.9") }
        #expect(throws: AccountsError.throttled(retryAfterSeconds: 3600)) {
            try f.store.signUp(email: "c@b.io", password: "password", address: "10.0.0.9")
        }
    }
}

/// SHA-256 by coreutils, independent of the code under test.
func sha256sum(_ text: String) -> String {
    let path = temporaryDirectory() + "/input"
    try? text.write(toFile: path, atomically: true, encoding: .utf8)
    let (_, output) = (try? run("/usr/bin/sha256sum", [path])) ?? (1, "")
    return String(output.prefix(64))
}

@Suite struct BoardStoreTests {
    @Test func boardsAreCappedPerTenantAndKind() throws {
        let fixture = try Fixture()
        let (a, _) = try fixture.store.createAccount(email: "a@example.com", password: "password-123")
        let (b, _) = try fixture.store.createAccount(email: "b@example.com", password: "password-123")
        let boards = BoardStore(database: fixture.database, maxPerTenant: 2)
        for _ in 0..<2 { _ = try boards.create(.dashboard, tenantID: a.tenantID, document: "{}") }
        #expect(throws: AccountsError.limitReached("an account keeps at most 2 dashboards; delete one first")) {
            try boards.create(.dashboard, tenantID: a.tenantID, document: "{}")
        }
        // Another kind and another tenant have their own count; deleting makes room.
        _ = try boards.create(.playlist, tenantID: a.tenantID, document: "{}")
        _ = try boards.create(.dashboard, tenantID: b.tenantID, document: "{}")
        try boards.delete(.dashboard, tenantID: a.tenantID, id: try boards.list(.dashboard, tenantID: a.tenantID)[0].id)
        _ = try boards.create(.dashboard, tenantID: a.tenantID, document: "{}")
        #expect(try boards.list(.dashboard, tenantID: a.tenantID).count == 2)
    }
}
