import TLS

/// How Telewall makes and keeps secrets: tokens, keys, session ids and password hashes.
public enum Secrets {
    static let tokenAlphabet = Array("abcdefghijklmnopqrstuvwxyz0123456789")
    /// 32 characters of 36 symbols: about 165 bits from OpenSSL's CSPRNG.
    static let tokenLength = 32
    /// Characters of a token or key kept in clear so the owner can tell them apart.
    static let visiblePrefixLength = 6
    public static let passwordIterations = 600_000

    /// A new ingest token or read key: `[a-z0-9]{32}`.
    public static func newToken() -> String {
        Crypto.randomString(length: tokenLength, alphabet: tokenAlphabet)
    }

    /// A new session id: 32 random bytes as hex.
    static func newSessionID() -> String { Crypto.hex(Crypto.randomBytes(32)) }

    static func digest(_ secret: String) -> [UInt8] { Crypto.sha256(Array(secret.utf8)) }

    /// `pbkdf2-sha256$<iterations>$<salt hex>$<hash hex>`.
    static func hashPassword(_ password: String, iterations: Int = passwordIterations) -> String {
        let salt = Crypto.randomBytes(16)
        let hash = Crypto.pbkdf2SHA256(password: password, salt: salt, iterations: iterations)
        return "pbkdf2-sha256$\(iterations)$\(Crypto.hex(salt))$\(Crypto.hex(hash))"
    }

    /// Checks a password against a stored hash in constant time.
    static func verifyPassword(_ password: String, against stored: String) -> Bool {
        let parts = stored.split(separator: "$")
        guard parts.count == 4, parts[0] == "pbkdf2-sha256", let iterations = Int(parts[1]),
            let salt = Crypto.unhex(String(parts[2])), let expected = Crypto.unhex(String(parts[3]))
        else { return false }
        let actual = Crypto.pbkdf2SHA256(password: password, salt: salt, iterations: iterations, length: expected.count)
        return Crypto.constantTimeEquals(actual, expected)
    }

    /// A password hash of a random password, checked when an email is unknown so timing does not tell.
    static let decoyHash = hashPassword(newToken())
}
