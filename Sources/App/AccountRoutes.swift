import Accounts
import Foundation
import HTTP
import StatsD

/// `/api/v1/signup`, `/session`, `/me`, `/tokens` and `/keys` (SPEC 2 and 9).
struct AccountRoutes: Sendable {
    let store: AccountStore
    let auth: Authenticator
    /// A tenant's ingest totals since the service started.
    let usage: @Sendable (String) -> TenantState.Usage
    /// Called once an ingest token is issued or revoked, so that ingest knows at once rather than at its next
    /// periodic reload.
    let ingestTokensChanged: @Sendable () -> Void

    func register(in router: inout Router) {
        router.add("POST", "/api/v1/signup", api(signUp))
        router.add("POST", "/api/v1/session", api(logIn))
        router.add("DELETE", "/api/v1/session", api(logOut))
        router.add("GET", "/api/v1/me", api(me))
        for (path, kind) in [("tokens", SecretKind.ingestToken), ("keys", .readKey)] {
            router.add("GET", "/api/v1/\(path)", api { try list(kind, $0) })
            router.add("POST", "/api/v1/\(path)", api { try issue(kind, $0) })
            router.add("DELETE", "/api/v1/\(path)/{id}", api { try revoke(kind, $0) })
        }
    }

    private func signUp(_ request: Request) throws -> Response {
        let (email, password) = try credentials(request)
        let (login, token) = try store.signUp(email: email, password: password, address: request.remoteAddress)
        ingestTokensChanged()
        var response = Response.json(["account": Self.json(login.account), "token": Self.json(token)], status: 201)
        response.headers.append(Header("Set-Cookie", Authenticator.sessionCookie(login.sessionID, secure: request.isSecure)))
        return response
    }

    private func logIn(_ request: Request) throws -> Response {
        let (email, password) = try credentials(request)
        let login = try store.logIn(email: email, password: password, address: request.remoteAddress)
        var response = Response.json(["account": Self.json(login.account)])
        response.headers.append(Header("Set-Cookie", Authenticator.sessionCookie(login.sessionID, secure: request.isSecure)))
        return response
    }

    private func logOut(_ request: Request) throws -> Response {
        if let id = request.cookie(Authenticator.sessionCookie), !id.isEmpty {
            try store.endSession(id)
            auth.forget(session: id)
        }
        var response = Response.noContent()
        response.headers.append(Header("Set-Cookie", Authenticator.expiredCookie(secure: request.isSecure)))
        return response
    }

    private func me(_ request: Request) throws -> Response {
        let account = try auth.readerAccount(request)
        let u = usage(account.tenantID)
        let usage: JSON = [
            "metrics": .number(Double(u.keys)), "lines": .number(Double(u.counts.lines)), "dropped_over_quota": .number(Double(u.counts.droppedOverQuota)),
            "bad_lines": .number(Double(u.counts.badLines)),
        ]
        return .json(["account": Self.json(account), "tenant": ["id": .string(account.tenantID)], "usage": usage])
    }

    private func list(_ kind: SecretKind, _ request: Request) throws -> Response {
        let account = try auth.sessionAccount(request)
        let items = try store.listSecrets(kind, tenantID: account.tenantID).map(Self.json)
        return .json([kind == .ingestToken ? "tokens" : "keys": .array(items)])
    }

    private func issue(_ kind: SecretKind, _ request: Request) throws -> Response {
        let account = try auth.sessionAccount(request)
        let body = try request.jsonObjectBody()
        guard let name = body["name"]?.stringValue else { throw HTTPError.badRequest("field 'name' (a string) is required", code: "invalid_name") }
        let secret = try store.issueSecret(kind, tenantID: account.tenantID, name: name)
        if kind == .ingestToken { ingestTokensChanged() }
        return .json(Self.json(secret), status: 201)
    }

    private func revoke(_ kind: SecretKind, _ request: Request) throws -> Response {
        let account = try auth.sessionAccount(request)
        guard let id = request.pathParameters["id"].flatMap({ Int64($0) }) else { throw HTTPError.notFound("\(kind.noun) not found") }
        try store.revokeSecret(kind, tenantID: account.tenantID, id: id)
        if kind == .ingestToken { ingestTokensChanged() }
        auth.forgetSecrets(kind)
        return .noContent()
    }

    // MARK: - Bodies

    private func credentials(_ request: Request) throws -> (String, String) {
        let body = try request.jsonObjectBody()
        guard let email = body["email"]?.stringValue else { throw HTTPError.badRequest("field 'email' (a string) is required", code: "invalid_email") }
        guard let password = body["password"]?.stringValue else { throw HTTPError.badRequest("field 'password' (a string) is required", code: "weak_password") }
        return (email, password)
    }


    static func json(_ account: Account) -> JSON {
        ["id": .number(Double(account.id)), "email": .string(account.email), "created_at": .string(Timestamp.iso(account.createdAt))]
    }

    static func json(_ info: SecretInfo) -> JSON {
        [
            "id": .number(Double(info.id)), "name": .string(info.name), "prefix": .string(info.prefix),
            "created_at": .string(Timestamp.iso(info.createdAt)),
            "last_used_at": info.lastUsedAt.map { .string(Timestamp.iso($0)) } ?? .null,
        ]
    }

    static func json(_ issued: IssuedSecret) -> JSON {
        guard case .object(var fields) = json(issued.info) else { return .null }
        fields["value"] = .string(issued.value)
        return .object(fields)
    }
}

extension Request {
    /// A JSON body; a body of another type is refused so that HTML forms of other sites cannot post to the API.
    func jsonObjectBody() throws -> JSON {
        guard let type = header("Content-Type"), type.lowercased().hasPrefix("application/json") else {
            throw HTTPError(415, code: "unsupported_media_type", "send the body as application/json")
        }
        return try jsonBody()
    }
}

extension SecretKind {
    var noun: String { self == .ingestToken ? "token" : "key" }
}

/// UTC timestamps as ISO 8601 text.
enum Timestamp {
    static func iso(_ seconds: Int64) -> String {
        var t = time_t(seconds)
        var parts = tm()
        gmtime_r(&t, &parts)
        var buffer = [CChar](repeating: 0, count: 32)
        strftime(&buffer, buffer.count, "%Y-%m-%dT%H:%M:%SZ", &parts)
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    static func iso(_ date: Date) -> String { iso(Int64(date.timeIntervalSince1970)) }
}
