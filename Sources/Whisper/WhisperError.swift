/// Everything the engine can report; each case names the file or the value at fault.
public enum WhisperError: Error, Equatable, Sendable, CustomStringConvertible {
    case corrupt(path: String, problem: String)
    case invalidConfiguration(String)
    case exists(path: String)
    case notFound(path: String)
    case timestampNotCovered(timestamp: Int)
    case invalidTimeInterval(from: Int, until: Int)
    case invalidName(String)
    case io(path: String, error: String)

    public var description: String {
        switch self {
        case .corrupt(let path, let problem): "\(path): corrupt whisper file: \(problem)"
        case .invalidConfiguration(let why): "invalid archive configuration: \(why)"
        case .exists(let path): "\(path) exists already"
        case .notFound(let path): "\(path) does not exist"
        case .timestampNotCovered(let t): "timestamp \(t) is not covered by any archive of this file"
        case .invalidTimeInterval(let from, let until): "invalid time interval: from \(from) is after until \(until)"
        case .invalidName(let why): why
        case .io(let path, let error): "\(path): \(error)"
        }
    }
}

/// One point: a Unix timestamp in seconds and its value.
public struct Point: Sendable, Equatable {
    public var timestamp: Int
    public var value: Double

    public init(_ timestamp: Int, _ value: Double) {
        self.timestamp = timestamp
        self.value = value
    }
}

/// What a fetch returns, as whisper.fetch does: `((from, until, step), values)`.
public struct FetchResult: Sendable, Equatable {
    public let from: Int
    public let until: Int
    public let step: Int
    public var values: [Double?]
}
