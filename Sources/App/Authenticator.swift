import Accounts
import HTTP
import Posix
import Synchronization

/// Turns a request's credentials into the account they stand for. Answers are cached for 2 seconds, so a
/// dashboard polling with a read key or session costs no SQLite query per request. What this process revokes
/// or ends (a read key, an ingest token, a share key, a board a share key opens, a session) is forgotten at
/// once; a change made by another process takes up to that time.
final class Authenticator: Sendable {
    static let sessionCookie = "tw_session"
    let store: AccountStore
    let boards: BoardStore
    private let sessions = TTLCache<Account?>(seconds: 2)
    private let readKeys = TTLCache<Account?>(seconds: 2)
    private let ingestTokens = TTLCache<Account?>(seconds: 2)
    private let shares = TTLCache<Share?>(seconds: 2)

    /// What a live share key opens: its board, the dashboards it shows (one, or a playlist's in order; ids
    /// deleted since are skipped) and the targets of those dashboards, the only series it may read.
    struct Share: Sendable {
        let board: Board
        let dashboards: [Board]
        let allowedTargets: Set<String>
    }

    init(store: AccountStore) {
        self.store = store
        self.boards = BoardStore(database: store.database)
    }

    /// Logging out takes effect at once, not after the cache's time.
    func forget(session id: String) { sessions.forget(id) }

    /// After a read key or an ingest token is revoked (named by its id, so its cached answer cannot be found by
    /// its value). A revoked ingest token that tries to read is then refused as unknown (401), not as
    /// write-only (403).
    func forgetSecrets(_ kind: SecretKind) { (kind == .readKey ? readKeys : ingestTokens).forgetAll() }

    /// After a share key is made, revoked or replaced, or a board it opens changes or goes.
    func forgetShares() { shares.forgetAll() }

    /// The account of the session cookie; 401 without one.
    func sessionAccount(_ request: Request) throws -> Account {
        guard let id = request.cookie(Self.sessionCookie), !id.isEmpty, let account = try sessions.value(id, { try store.account(forSession: id) }) else {
            throw HTTPError.unauthorized("log in first")
        }
        return account
    }

    /// A reader: the session cookie or a read key (`Authorization: Bearer`). An ingest token reads nothing.
    func readerAccount(_ request: Request) throws -> Account {
        if let bearer = request.bearerToken {
            if let account = try readKeyAccount(bearer) { return account }
            if try ingestTokens.value(bearer, { try store.account(forSecret: bearer, kind: .ingestToken) }) != nil {
                throw HTTPError.forbidden("an ingest token can only write; use a read key")
            }
            throw HTTPError.unauthorized("unknown or revoked read key")
        }
        return try sessionAccount(request)
    }

    /// The worker pools take turns by tenant: a tenant holding many keys or sessions gets one share, not one per
    /// credential. The tenant comes from the credential caches alone (a credential not seen in the last 2 s
    /// counts as itself), since this runs on the event loop for every request bound for a pool.
    func fairnessKey(_ request: Request) -> UInt64 {
        guard let tenant = cachedTenant(of: request) else { return request.fairnessKey }
        var hasher = Hasher()
        hasher.combine("tenant")
        hasher.combine(tenant)
        return UInt64(bitPattern: Int64(hasher.finalize()))
    }

    private func cachedTenant(of request: Request) -> String? {
        if let bearer = request.bearerToken {
            return readKeys.cached(bearer)?.tenantID ?? shares.cached(bearer)?.board.tenantID ?? ingestTokens.cached(bearer)?.tenantID
        }
        if let key = request.pathParameters["key"] { return shares.cached(key)?.board.tenantID }
        return request.cookie(Self.sessionCookie).flatMap { sessions.cached($0)?.tenantID }
    }

    private func readKeyAccount(_ key: String) throws -> Account? {
        try readKeys.value(key) { try store.account(forSecret: key, kind: .readKey) }
    }

    /// What a live share key opens, or nil; cached like credentials, so a revoked key stops within 2 s.
    func share(key: String) throws -> Share? {
        guard !key.isEmpty, key.utf8.count <= 64 else { return nil }
        return try shares.value(key) {
            guard let board = try boards.board(forShareKey: key) else { return nil }
            let dashboards = board.kind == .dashboard ? [board] : try playlistDashboards(board)
            let targets = dashboards.flatMap { BoardDocument.targets(of: JSON.parse(Array($0.document.utf8)) ?? .null) }
            return Share(board: board, dashboards: dashboards, allowedTargets: Set(targets))
        }
    }

    /// A reader of series: a session or read key reads the whole tenant; a share key (as `Bearer`) reads only the
    /// targets of its dashboard, or of its playlist's dashboards.
    func seriesReader(_ request: Request) throws -> (tenantID: String, allowedTargets: Set<String>?) {
        guard let bearer = request.bearerToken else { return (try sessionAccount(request).tenantID, nil) }
        if let account = try readKeyAccount(bearer) { return (account.tenantID, nil) }
        if let share = try share(key: bearer) { return (share.board.tenantID, share.allowedTargets) }
        return (try readerAccount(request).tenantID, nil)
    }

    private func playlistDashboards(_ playlist: Board) throws -> [Board] {
        guard case .array(let ids) = JSON.parse(Array(playlist.document.utf8))?["dashboards"] ?? .null else { return [] }
        return ids.compactMap { id in
            id.integerValue.flatMap { try? boards.board(.dashboard, tenantID: playlist.tenantID, id: Int64($0)) }
        }
    }

    /// The `Set-Cookie` value that starts a session.
    static func sessionCookie(_ id: String, secure: Bool) -> String {
        "\(sessionCookie)=\(id); Path=/; HttpOnly; SameSite=Lax; Max-Age=\(AccountStore.sessionLifetimeSeconds)" + (secure ? "; Secure" : "")
    }

    /// The `Set-Cookie` value that ends it.
    static func expiredCookie(secure: Bool) -> String {
        "\(sessionCookie)=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0" + (secure ? "; Secure" : "")
    }
}

extension AccountsError {
    /// The HTTP answer for each accounts error, with a stable code.
    var httpError: HTTPError {
        switch self {
        case .invalidEmail: HTTPError.badRequest(description, code: "invalid_email")
        case .weakPassword: HTTPError.badRequest(description, code: "weak_password")
        case .emailTaken: HTTPError.conflict(description, code: "email_taken")
        case .invalidCredentials: HTTPError(401, code: "invalid_credentials", description)
        case .invalidName: HTTPError.badRequest(description, code: "invalid_name")
        case .notFound: HTTPError.notFound(description)
        case .throttled(let seconds):
            HTTPError(429, code: "too_many_attempts", description, headers: [Header("Retry-After", String(seconds))])
        case .limitReached: HTTPError.conflict(description, code: "limit_reached")
        case .migration: HTTPError(500, code: "internal", "internal server error")
        }
    }
}

/// Wraps a handler so that accounts errors become their HTTP answers.
func api(_ body: @escaping @Sendable (Request) throws -> Response) -> Handler {
    { request in
        do { return try body(request) } catch let error as AccountsError { throw error.httpError }
    }
}

/// Answers kept for a few seconds, keyed by credential: a hit costs no SQLite query. Entries are spread over
/// shards so that concurrent requests rarely wait for one another's lock.
final class TTLCache<Value: Sendable>: Sendable {
    private final class Shard: Sendable {
        let entries = Mutex<[String: (value: Value, expires: Double)]>([:])
    }
    private let shards: [Shard] = (0..<16).map { _ in Shard() }
    private let seconds: Double
    /// Bumped by `forgetAll`: a lookup that began before is not stored.
    private let generation = Atomic<Int>(0)

    init(seconds: Double) { self.seconds = seconds }

    private func shard(_ key: String) -> Shard { shards[Int(UInt(bitPattern: key.hashValue) % UInt(shards.count))] }

    func value(_ key: String, _ lookup: () throws -> Value) rethrows -> Value {
        let now = monotonicSeconds()
        if let hit = fresh(key, at: now) { return hit }
        let shard = shard(key)
        let began = generation.load(ordering: .acquiring)
        let value = try lookup()
        shard.entries.withLock { all in
            guard generation.load(ordering: .acquiring) == began else { return }
            if all.count > 10_000 { all = all.filter { $0.value.expires > now } }
            all[key] = (value, now + seconds)
        }
        return value
    }

    /// The answer cached for `key` and still fresh, or nil; never a lookup. (The caches hold optionals: nil
    /// too when the answer was "no such credential".)
    func cached<Wrapped>(_ key: String) -> Wrapped? where Value == Wrapped? {
        fresh(key, at: monotonicSeconds()) ?? nil
    }

    /// The answer kept for `key` if it has not expired at `now`.
    private func fresh(_ key: String, at now: Double) -> Value? {
        guard let hit = shard(key).entries.withLock({ $0[key] }), hit.expires > now else { return nil }
        return hit.value
    }

    func forget(_ key: String) { _ = shard(key).entries.withLock { $0.removeValue(forKey: key) } }

    /// Forgets every answer. The generation moves first, so a lookup still running cannot store its answer
    /// after its shard was emptied.
    func forgetAll() {
        generation.add(1, ordering: .releasing)
        for shard in shards { shard.entries.withLock { $0.removeAll() } }
    }
}
