/// An error that knows its HTTP status, its stable machine-readable code and a message for people.
public struct HTTPError: Error, Sendable, Equatable, CustomStringConvertible {
    public let status: Int
    public let code: String
    public let message: String
    /// Extra headers the error response carries (e.g. `Retry-After`).
    public let headers: [Header]

    public init(_ status: Int, code: String, _ message: String, headers: [Header] = []) {
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers
    }

    public var description: String { "\(status) \(code): \(message)" }

    public static func badRequest(_ message: String, code: String = "bad_request") -> HTTPError {
        HTTPError(400, code: code, message)
    }
    public static func unauthorized(_ message: String = "authentication required") -> HTTPError {
        HTTPError(401, code: "unauthorized", message)
    }
    public static func forbidden(_ message: String) -> HTTPError { HTTPError(403, code: "forbidden", message) }
    public static func notFound(_ message: String = "not found") -> HTTPError { HTTPError(404, code: "not_found", message) }
    public static func conflict(_ message: String, code: String = "conflict") -> HTTPError {
        HTTPError(409, code: code, message)
    }

    /// The JSON API error body: `{"error": {"code", "message"}}`.
    public var response: Response {
        var response = Response.json(
            .object(["error": .object(["code": .string(code), "message": .string(message)])]), status: status)
        response.headers += headers
        return response
    }
}

/// One header field; names compare case-insensitively.
public struct Header: Sendable, Equatable {
    public let name: String
    public let value: String

    public init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }
}

/// The reason phrases of the statuses Telewall sends.
enum StatusLine {
    static func reason(_ status: Int) -> String {
        switch status {
        case 100: "Continue"
        case 200: "OK"
        case 201: "Created"
        case 202: "Accepted"
        case 204: "No Content"
        case 304: "Not Modified"
        case 400: "Bad Request"
        case 401: "Unauthorized"
        case 403: "Forbidden"
        case 404: "Not Found"
        case 405: "Method Not Allowed"
        case 408: "Request Timeout"
        case 409: "Conflict"
        case 411: "Length Required"
        case 413: "Content Too Large"
        case 415: "Unsupported Media Type"
        case 429: "Too Many Requests"
        case 431: "Request Header Fields Too Large"
        case 500: "Internal Server Error"
        case 501: "Not Implemented"
        case 503: "Service Unavailable"
        case 505: "HTTP Version Not Supported"
        default: "Status \(status)"
        }
    }
}
