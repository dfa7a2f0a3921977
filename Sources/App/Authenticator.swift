import Accounts
import HTTP
import Posix
import Synchronization

/// Turns a request's credentials into the account they stand for. Answers are cached for `ttl` seconds, so a
/// dashboard polling with a read key or session costs no SQLite query per request; a revoked key or ended session
/// stops working within that time.
final class Authenticator: Sendable {
    static let sessionCookie = "tw_session"
    let store: AccountStore
    private let cache = Mutex<[String: (account: Account?, expires: Double)]>([:])
    private let ttl = 2.0

    init(store: AccountStore) { self.store = store }

    private func cached(_ key: String, _ lookup: () throws -> Account?) rethrows -> Account? {
        let now = monotonicSeconds()
        if let hit = cache.withLock({ $0[key] }), hit.expires > now { return hit.account }
        let account = try lookup()
        cache.withLock { all in
            if all.count > 100_000 { all = all.filter { $0.value.expires > now } }
            all[key] = (account, now + ttl)
        }
        return account
    }

    /// Logging out takes effect at once, not after the cache's time.
    func forget(session id: String) { _ = cache.withLock { $0.removeValue(forKey: "s:" + id) } }

    /// The account of the session cookie; 401 without one.
    func sessionAccount(_ request: Request) throws -> Account {
        guard let id = request.cookie(Self.sessionCookie), !id.isEmpty, let account = try cached("s:" + id, { try store.account(forSession: id) }) else {
            throw HTTPError.unauthorized("log in first")
        }
        return account
    }

    /// A reader: the session cookie or a read key (`Authorization: Bearer`). An ingest token reads nothing.
    func readerAccount(_ request: Request) throws -> Account {
        if let bearer = request.bearerToken {
            if let account = try cached("k:" + bearer, { try store.account(forSecret: bearer, kind: .readKey) }) { return account }
            if try cached("t:" + bearer, { try store.account(forSecret: bearer, kind: .ingestToken) }) != nil {
                throw HTTPError.forbidden("an ingest token can only write; use a read key")
            }
            throw HTTPError.unauthorized("unknown or revoked read key")
        }
        return try sessionAccount(request)
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
