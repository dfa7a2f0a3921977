/// An account and the tenant it owns.
public struct Account: Sendable, Equatable {
    public let id: Int64
    public let email: String
    public let tenantID: String
    public let createdAt: Int64
}

/// The two kinds of long-lived secrets an account holds; they share one shape and one table layout.
public enum SecretKind: Sendable {
    case ingestToken
    case readKey

    var table: String {
        switch self {
        case .ingestToken: "ingest_tokens"
        case .readKey: "read_keys"
        }
    }

    var noun: String {
        switch self {
        case .ingestToken: "token"
        case .readKey: "key"
        }
    }
}

/// What is shown of a token or key after it was issued: never its value.
public struct SecretInfo: Sendable, Equatable {
    public let id: Int64
    public let name: String
    public let prefix: String
    public let createdAt: Int64
    public let lastUsedAt: Int64?
}

/// A token or key right after issue: the only time its value is known.
public struct IssuedSecret: Sendable {
    public let info: SecretInfo
    public let value: String
}

/// What a successful sign-up or log-in yields.
public struct Login: Sendable {
    public let account: Account
    /// The session id for the cookie; only its digest is stored.
    public let sessionID: String
}

/// Limits on guessing from one address (SPEC 2).
public struct ThrottlePolicy: Sendable {
    public var failedLogins = 10
    public var loginWindowSeconds: Int64 = 15 * 60
    public var signups = 20
    public var signupWindowSeconds: Int64 = 60 * 60

    public init() {}
}
