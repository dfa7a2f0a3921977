/// Limits that protect the server from large or endless requests (SPEC 8).
public struct ParserLimits: Sendable {
    public var maxHeadBytes = 16 * 1024
    public var maxBodyBytes = 1024 * 1024
    public var maxHeaderCount = 100

    public init() {}
}

/// What the parser produced from the bytes so far.
public enum ParserEvent: Sendable {
    /// A complete request.
    case request(Request)
    /// The head asked for `Expect: 100-continue` and its body has not arrived yet.
    case expectsContinue
}

/// An incremental HTTP/1.1 request parser: pure, fed bytes in any split, yielding requests in order.
public struct RequestParser {
    private enum State {
        case head(scanned: Int)
        case body(Request, remaining: Int)
        case chunked(Request, ChunkPhase)
    }

    private enum ChunkPhase {
        case sizeLine
        case data(remaining: Int)
        case dataEnd
        case trailers
    }

    private let limits: ParserLimits
    private var buffer: [UInt8] = []
    private var start = 0
    private var state = State.head(scanned: 0)
    private var continueAnnounced = false

    public init(limits: ParserLimits = ParserLimits()) {
        self.limits = limits
    }

    /// Bytes received and not yet consumed by a request.
    public var bufferedByteCount: Int { buffer.count - start }

    /// True between requests with nothing buffered: the connection is idle.
    public var isIdle: Bool {
        if case .head = state, bufferedByteCount == 0 { return true }
        return false
    }

    /// True while the head of the current request is still arriving.
    public var isReadingHead: Bool {
        if case .head = state { return true }
        return false
    }

    public mutating func append(_ bytes: UnsafeRawBufferPointer) {
        if start > 0 && start == buffer.count {
            buffer.removeAll(keepingCapacity: true)
            start = 0
        }
        buffer.append(contentsOf: bytes)
    }

    public mutating func append(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { append($0) }
    }

    /// The next event, or nil when more bytes are needed. An error means the connection must close.
    public mutating func next() throws(HTTPError) -> ParserEvent? {
        switch state {
        case .head(let scanned):
            guard let (headEnd, bodyStart) = findHeadEnd(from: scanned) else {
                if bufferedByteCount > limits.maxHeadBytes { throw HTTPError(431, code: "head_too_large", "request head exceeds \(limits.maxHeadBytes) bytes") }
                state = .head(scanned: max(start, buffer.count - 3))
                return nil
            }
            if headEnd - start > limits.maxHeadBytes {
                throw HTTPError(431, code: "head_too_large", "request head exceeds \(limits.maxHeadBytes) bytes")
            }
            let request = try parseHead(buffer[start..<headEnd])
            consume(upTo: bodyStart)
            continueAnnounced = false
            try startBody(of: request)
            return try next()
        case .body(var request, let remaining):
            let available = min(remaining, bufferedByteCount)
            if available > 0 {
                request.body.append(contentsOf: buffer[start..<start + available])
                consume(upTo: start + available)
            }
            if available == remaining { return finish(request) }
            state = .body(request, remaining: remaining - available)
            return announceContinue(request)
        case .chunked(var request, let phase):
            if try decodeChunks(into: &request, phase: phase) { return finish(request) }
            return announceContinue(request)
        }
    }

    // MARK: - Head

    private func findHeadEnd(from scanned: Int) -> (Int, Int)? {
        var i = max(scanned, start)
        // Blank lines before a request line are ignored (RFC 9112 2.2).
        if i == start {
            while i < buffer.count, buffer[i] == 13 || buffer[i] == 10 { i += 1 }
        }
        while i < buffer.count {
            if buffer[i] == 10 {
                if i + 1 < buffer.count, buffer[i + 1] == 10 { return (i + 1, i + 2) }
                if i + 2 < buffer.count, buffer[i + 1] == 13, buffer[i + 2] == 10 { return (i + 1, i + 3) }
            }
            i += 1
        }
        return nil
    }

    private func parseHead(_ bytes: ArraySlice<UInt8>) throws(HTTPError) -> Request {
        var lines = bytes.split(separator: 10, omittingEmptySubsequences: false).map { line -> ArraySlice<UInt8> in
            line.last == 13 ? line.dropLast() : line
        }
        while let first = lines.first, first.isEmpty { lines.removeFirst() }
        while let last = lines.last, last.isEmpty { lines.removeLast() }
        guard let requestLine = lines.first else { throw .badRequest("empty request line", code: "bad_request_line") }
        var request = try parseRequestLine(requestLine)
        guard lines.count - 1 <= limits.maxHeaderCount else {
            throw HTTPError(431, code: "too_many_headers", "more than \(limits.maxHeaderCount) header fields")
        }
        for line in lines.dropFirst() {
            request.headers.append(try parseHeaderLine(line))
        }
        return request
    }

    private func parseRequestLine(_ line: ArraySlice<UInt8>) throws(HTTPError) -> Request {
        let parts = line.split(separator: 32, omittingEmptySubsequences: false)
        guard parts.count == 3, !parts[0].isEmpty, !parts[1].isEmpty else {
            throw .badRequest("malformed request line", code: "bad_request_line")
        }
        guard parts[0].allSatisfy(Self.isTokenByte) else { throw .badRequest("malformed method", code: "bad_request_line") }
        guard parts[1].allSatisfy({ $0 > 32 && $0 < 127 }) else {
            throw .badRequest("malformed request target", code: "bad_request_line")
        }
        let version = String(decoding: parts[2], as: UTF8.self)
        guard version.hasPrefix("HTTP/") else { throw .badRequest("malformed HTTP version", code: "bad_request_line") }
        guard version == "HTTP/1.1" || version == "HTTP/1.0" else {
            throw HTTPError(505, code: "version_not_supported", "only HTTP/1.0 and HTTP/1.1 are supported")
        }
        var target = String(decoding: parts[1], as: UTF8.self)
        if parts[1].first != UInt8(ascii: "/"), let schemeEnd = target.firstRange(of: "://") {
            let rest = target[schemeEnd.upperBound...]
            target = rest.firstIndex(of: "/").map { String(rest[$0...]) } ?? "/"
        }
        guard target.utf8.first == UInt8(ascii: "/") || target == "*" else {
            throw .badRequest("request target must start with /", code: "bad_request_line")
        }
        return Request(method: String(decoding: parts[0], as: UTF8.self), target: target, isHTTP11: version == "HTTP/1.1")
    }

    private func parseHeaderLine(_ line: ArraySlice<UInt8>) throws(HTTPError) -> Header {
        guard let colon = line.firstIndex(of: UInt8(ascii: ":")), colon > line.startIndex else {
            throw .badRequest("malformed header line", code: "bad_header")
        }
        let name = line[..<colon]
        guard name.allSatisfy(Self.isTokenByte) else { throw .badRequest("malformed header name", code: "bad_header") }
        var value = line[(colon + 1)...]
        while let f = value.first, f == 32 || f == 9 { value.removeFirst() }
        while let l = value.last, l == 32 || l == 9 { value.removeLast() }
        guard value.allSatisfy({ $0 >= 32 || $0 == 9 }), !value.contains(127) else {
            throw .badRequest("control character in header value", code: "bad_header")
        }
        return Header(String(decoding: name, as: UTF8.self), String(decoding: value, as: UTF8.self))
    }

    private static func isTokenByte(_ b: UInt8) -> Bool {
        switch b {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        default:
            return Array("!#$%&'*+-.^_`|~".utf8).contains(b)
        }
    }

    // MARK: - Body

    private mutating func startBody(of request: Request) throws(HTTPError) {
        let lengths = request.headers.filter { $0.name.caseInsensitiveEquals("Content-Length") }.map(\.value)
        let encoding = request.header("Transfer-Encoding")?.lowercased()
        if let encoding {
            guard lengths.isEmpty else {
                throw .badRequest("both Content-Length and Transfer-Encoding", code: "bad_framing")
            }
            guard encoding == "chunked" else {
                throw HTTPError(501, code: "unsupported_transfer_encoding", "only chunked transfer encoding is supported")
            }
            state = .chunked(request, .sizeLine)
            return
        }
        guard let first = lengths.first else {
            state = .body(request, remaining: 0)
            return
        }
        guard lengths.allSatisfy({ $0 == first }), !first.isEmpty, first.utf8.count <= 18,
            first.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }), let length = Int(first)
        else {
            throw .badRequest("invalid Content-Length", code: "bad_framing")
        }
        guard length <= limits.maxBodyBytes else {
            throw HTTPError(413, code: "body_too_large", "request body exceeds \(limits.maxBodyBytes) bytes")
        }
        state = .body(request, remaining: length)
    }

    /// Decodes as many chunks as are buffered; true when the whole body and trailers are in.
    private mutating func decodeChunks(into request: inout Request, phase: ChunkPhase) throws(HTTPError) -> Bool {
        var phase = phase
        while true {
            switch phase {
            case .sizeLine:
                guard let lineEnd = lineEnd(from: start) else { return try pause(request, phase, limit: 1024) }
                let size = try chunkSize(buffer[start..<lineEnd.contentEnd])
                consume(upTo: lineEnd.next)
                guard request.body.count + size <= limits.maxBodyBytes else {
                    throw HTTPError(413, code: "body_too_large", "request body exceeds \(limits.maxBodyBytes) bytes")
                }
                phase = size == 0 ? .trailers : .data(remaining: size)
            case .data(let remaining):
                let available = min(remaining, bufferedByteCount)
                request.body.append(contentsOf: buffer[start..<start + available])
                consume(upTo: start + available)
                if available < remaining { return try pause(request, .data(remaining: remaining - available), limit: .max) }
                phase = .dataEnd
            case .dataEnd:
                guard let lineEnd = lineEnd(from: start) else { return try pause(request, phase, limit: 2) }
                guard lineEnd.contentEnd == start else { throw .badRequest("chunk data longer than its size", code: "bad_chunk") }
                consume(upTo: lineEnd.next)
                phase = .sizeLine
            case .trailers:
                guard let lineEnd = lineEnd(from: start) else { return try pause(request, phase, limit: limits.maxHeadBytes) }
                let empty = lineEnd.contentEnd == start
                consume(upTo: lineEnd.next)
                if empty { return true }
            }
        }
    }

    /// Waits for more bytes; a line that grows past `limit` without ending is refused.
    private mutating func pause(_ request: Request, _ phase: ChunkPhase, limit: Int) throws(HTTPError) -> Bool {
        guard bufferedByteCount <= limit else { throw .badRequest("chunk framing line too long", code: "bad_chunk") }
        state = .chunked(request, phase)
        return false
    }

    private func chunkSize(_ line: ArraySlice<UInt8>) throws(HTTPError) -> Int {
        // `1*HEXDIG` (no sign: `-5` once reached the body slicing and stopped the server), then optional
        // whitespace before any extension.
        var digits = line.prefix { $0 != UInt8(ascii: ";") }
        while let last = digits.last, last == 32 || last == 9 { digits.removeLast() }
        guard !digits.isEmpty, digits.count <= 8, let size = ASCII.hexNumber(digits) else {
            throw .badRequest("invalid chunk size", code: "bad_chunk")
        }
        return size
    }

    private func lineEnd(from index: Int) -> (contentEnd: Int, next: Int)? {
        guard let newline = buffer[index...].firstIndex(of: 10) else {
            return nil
        }
        let contentEnd = newline > index && buffer[newline - 1] == 13 ? newline - 1 : newline
        return (contentEnd, newline + 1)
    }

    private mutating func announceContinue(_ request: Request) -> ParserEvent? {
        guard !continueAnnounced, let expect = request.header("Expect"), expect.lowercased() == "100-continue" else {
            return nil
        }
        continueAnnounced = true
        return .expectsContinue
    }

    private mutating func finish(_ request: Request) -> ParserEvent {
        state = .head(scanned: start)
        if start > 64 * 1024 || start == buffer.count {
            buffer.removeFirst(start)
            start = 0
            state = .head(scanned: 0)
        }
        return .request(request)
    }

    private mutating func consume(upTo index: Int) {
        start = index
    }
}
