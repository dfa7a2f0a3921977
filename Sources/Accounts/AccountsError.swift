/// What can go wrong with accounts, tokens and keys; the HTTP edge maps each case to a status.
public enum AccountsError: Error, Equatable, Sendable, CustomStringConvertible {
    case invalidEmail
    case weakPassword(String)
    case emailTaken
    case invalidCredentials
    case invalidName(String)
    case notFound(String)
    case throttled(retryAfterSeconds: Int)
    case limitReached(String)
    case migration(String)

    public var description: String {
        switch self {
        case .invalidEmail: "the email address is not valid"
        case .weakPassword(let why): why
        case .emailTaken: "an account with this email address exists already"
        case .invalidCredentials: "wrong email or password"
        case .invalidName(let why): why
        case .notFound(let what): "\(what) not found"
        case .throttled(let seconds): "too many attempts from this address; retry in \(seconds) s"
        case .limitReached(let why): why
        case .migration(let why): why
        }
    }
}
