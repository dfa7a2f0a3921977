/// A parsed HTTP/1.x request with its whole body.
public struct Request: Sendable {
    public var method: String
    /// The request target as sent, e.g. `/render?target=a.b`.
    public var target: String
    public var isHTTP11: Bool
    public var headers: [Header]
    public var body: [UInt8]
    /// The client's address, filled in by the server.
    public var remoteAddress: String = ""
    /// Values of `{name}` segments of the matched route, percent-decoded.
    public var pathParameters: [String: String] = [:]
    /// Whether the request arrived over TLS.
    public var isSecure: Bool = false

    public init(method: String, target: String, isHTTP11: Bool = true, headers: [Header] = [], body: [UInt8] = []) {
        self.method = method
        self.target = target
        self.isHTTP11 = isHTTP11
        self.headers = headers
        self.body = body
    }

    /// The path part of the target, still percent-encoded.
    public var path: Substring {
        queryMark.map { target[..<$0] } ?? target[...]
    }

    /// The raw query string, without `?`.
    public var queryString: Substring {
        queryMark.map { target[target.utf8.index(after: $0)...] } ?? ""
    }

    /// Where `?` is, found byte by byte (by `Character` it cost a grapheme walk per request).
    private var queryMark: String.Index? { target.utf8.firstIndex(of: UInt8(ascii: "?")) }

    /// Query parameters in order; a name may repeat (`target=a&target=b`).
    public var queryItems: [(String, String)] { FormDecoding.decode(queryString) }

    /// The first value of query parameter `name`.
    public func query(_ name: String) -> String? {
        queryItems.first { $0.0 == name }?.1
    }

    /// The first value of header `name`, compared case-insensitively.
    public func header(_ name: String) -> String? {
        headers.first { $0.name.caseInsensitiveEquals(name) }?.value
    }

    /// Whether the connection stays open after this request (HTTP/1.1 unless `close`; 1.0 only with `keep-alive`).
    public var wantsKeepAlive: Bool {
        let connection = header("Connection") ?? ""
        if isHTTP11 { return !connection.containsCaseInsensitive("close") }
        return connection.containsCaseInsensitive("keep-alive")
    }

    /// The value of cookie `name`.
    public func cookie(_ name: String) -> String? {
        guard let header = header("Cookie") else { return nil }
        for part in header.split(separator: ";") {
            let pair = part.trimmingSpaces
            if let eq = pair.firstIndex(of: "="), pair[..<eq] == name {
                return String(pair[pair.index(after: eq)...])
            }
        }
        return nil
    }

    /// Who is asking, for sharing the worker pools fairly: the credential the request carries (its
    /// `Authorization` or else its cookies), or else the client's address, hashed.
    public var fairnessKey: UInt64 {
        var hasher = Hasher()
        hasher.combine(header("Authorization") ?? header("Cookie") ?? remoteAddress)
        return UInt64(bitPattern: Int64(hasher.finalize()))
    }

    /// The bearer credential of the `Authorization` header, the scheme in any case. Read byte by byte, without
    /// counting characters or lowering a copy: every authenticated request asks, some of them twice.
    public var bearerToken: String? {
        guard let value = header("Authorization"), value.utf8.count > 7,
            value.utf8.prefix(7).elementsEqual("bearer ".utf8, by: { $0 | 0x20 == $1 })
        else { return nil }
        return value.dropFirst(7).trimmingSpaces
    }

    /// The body decoded as a JSON object, or a 400 naming the problem.
    public func jsonBody() throws(HTTPError) -> JSON {
        guard !body.isEmpty else { throw .badRequest("the request body is empty; a JSON object was expected") }
        guard let value = JSON.parse(body) else { throw .badRequest("the request body is not valid JSON") }
        guard case .object = value else { throw .badRequest("the request body must be a JSON object") }
        return value
    }
}

extension StringProtocol {
    func caseInsensitiveEquals(_ other: some StringProtocol) -> Bool {
        guard utf8.count == other.utf8.count else { return false }
        return zip(utf8, other.utf8).allSatisfy { a, b in (a | 0x20) == (b | 0x20) || a == b }
    }

    /// Whether an ASCII `word` occurs in it, letters compared without case.
    /// Searched in place (a native string's bytes are contiguous): this runs for every request's `Connection`.
    func containsCaseInsensitive(_ word: StaticString) -> Bool {
        let needle = UnsafeBufferPointer(start: word.utf8Start, count: word.utf8CodeUnitCount)
        func search(_ haystack: UnsafeBufferPointer<UInt8>) -> Bool {
            guard haystack.count >= needle.count else { return false }
            return (0...(haystack.count - needle.count)).contains { start in
                needle.indices.allSatisfy { haystack[start + $0] | 0x20 == needle[$0] | 0x20 }
            }
        }
        return utf8.withContiguousStorageIfAvailable(search) ?? Array(utf8).withUnsafeBufferPointer(search)
    }

    var trimmingSpaces: String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" { s.removeFirst() }
        while let l = s.last, l == " " || l == "\t" { s.removeLast() }
        return String(s)
    }
}
