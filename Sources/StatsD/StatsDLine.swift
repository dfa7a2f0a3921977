/// The kinds of StatsD metric. `h` and `d` (histogram, distribution) are timers, as SPEC 3.1 says.
public enum MetricKind: Sendable, Equatable {
    case counter
    case timer
    case gauge
    case set
}

/// One value of a line: `key:value|type|@rate`.
public struct Sample: Sendable, Equatable {
    public var kind: MetricKind
    /// The number (for a set, unused).
    public var value: Double
    public var sampleRate: Double
    /// A gauge value with a leading `+` or `-`: a change, not a new value.
    public var isDelta: Bool
    /// A set member as sent.
    public var member: String
}

/// Why a line was not taken.
public enum BadLine: Error, Sendable, Equatable {
    case noToken
    case badKey(String)
    case noValue
    case unknownType(String)
    case badValue(String)
    case badSampleRate(String)
}

/// A parsed StatsD line (SPEC 3.1). Pure: no I/O, no state.
public enum StatsDLine: Sendable, Equatable {
    case metric(token: Substring, key: String, samples: [Sample])
    /// `_sc|<token>.<name>|<status>|...`: recognized and counted (stored once component status exists).
    case serviceCheck(token: Substring, name: String, status: Int)
    /// `_e{<title-len>,<text-len>}:<token>.<title>|<text>|...`: recognized and counted.
    case event(token: Substring, title: String, text: String)

    /// The token of any line: the text before the first `.`, if it looks like one.
    public var token: Substring {
        switch self {
        case .metric(let t, _, _), .serviceCheck(let t, _, _), .event(let t, _, _): t
        }
    }
}

extension StatsDLine {
    /// Parses one line (without its newline). `expectToken: false` is for HTTP ingest, whose lines carry no token.
    public static func parse(_ line: Substring, expectToken: Bool = true) throws(BadLine) -> StatsDLine {
        if line.hasPrefix("_sc|") { return try parseServiceCheck(line.dropFirst(4), expectToken: expectToken) }
        if line.hasPrefix("_e{") { return try parseEvent(line, expectToken: expectToken) }
        var body = line
        if let tags = body.firstRange(of: "|#") { body = body[..<tags.lowerBound] }  // DogStatsD tags: accepted, ignored
        let (token, rest) = try splitToken(body, expectToken: expectToken)
        var parts = rest.split(separator: ":", omittingEmptySubsequences: false)
        let rawKey = parts.removeFirst()
        guard !parts.isEmpty else { throw .noValue }
        let key = try MetricKey.sanitize(rawKey)
        return .metric(token: token, key: key, samples: try parts.map(parseSample))
    }

    static func splitToken(_ text: Substring, expectToken: Bool) throws(BadLine) -> (Substring, Substring) {
        guard expectToken else { return ("", text) }
        guard let dot = text.firstIndex(of: "."), dot > text.startIndex else { throw .noToken }
        return (text[..<dot], text[text.index(after: dot)...])
    }

    /// `value|type[|@rate][|...]` with Etsy's rules, stricter on numbers: decimal only, finite.
    static func parseSample(_ text: Substring) throws(BadLine) -> Sample {
        let fields = text.split(separator: "|", omittingEmptySubsequences: false)
        guard fields.count >= 2 else { throw .noValue }
        let typeName = fields[1].trimmingWhitespace
        var rate = 1.0
        if fields.count > 2 {
            let r = fields[2]
            guard r.first == "@", let parsed = StrictNumber.parse(r.dropFirst()), parsed > 0, r.dropFirst().first != "-" else {
                throw .badSampleRate(String(r.prefix(32)))
            }
            rate = parsed
        }
        let raw = fields[0]
        switch typeName {
        case "c":
            guard let v = raw.isEmpty ? 1 : StrictNumber.parse(raw) else { throw .badValue(String(raw.prefix(32))) }
            return Sample(kind: .counter, value: v, sampleRate: rate, isDelta: false, member: "")
        case "ms", "h", "d":
            guard let v = StrictNumber.parse(raw), v >= 0 else { throw .badValue(String(raw.prefix(32))) }
            return Sample(kind: .timer, value: v, sampleRate: rate, isDelta: false, member: "")
        case "g":
            guard let v = StrictNumber.parse(raw) else { throw .badValue(String(raw.prefix(32))) }
            return Sample(kind: .gauge, value: v, sampleRate: rate, isDelta: raw.first == "+" || raw.first == "-", member: "")
        case "s":
            return Sample(kind: .set, value: 0, sampleRate: rate, isDelta: false, member: raw.isEmpty ? "0" : String(raw))
        default:
            throw .unknownType(String(typeName.prefix(16)))
        }
    }

    static func parseServiceCheck(_ text: Substring, expectToken: Bool) throws(BadLine) -> StatsDLine {
        let fields = text.split(separator: "|", omittingEmptySubsequences: false)
        guard fields.count >= 2, let status = Int(fields[1]), (0...3).contains(status) else { throw .badValue("service check") }
        let (token, name) = try splitToken(fields[0], expectToken: expectToken)
        return .serviceCheck(token: token, name: try MetricKey.sanitize(name), status: status)
    }

    static func parseEvent(_ line: Substring, expectToken: Bool) throws(BadLine) -> StatsDLine {
        // _e{title-len,text-len}:title|text|...
        guard let close = line.firstIndex(of: "}"), let colon = line[close...].firstIndex(of: ":") else { throw .badValue("event") }
        let lengths = line[line.index(line.startIndex, offsetBy: 3)..<close].split(separator: ",")
        guard lengths.count == 2, let titleLength = Int(lengths[0]), let textLength = Int(lengths[1]), titleLength > 0, textLength >= 0 else {
            throw .badValue("event")
        }
        let body = Array(line[line.index(after: colon)...].utf8)
        guard body.count >= titleLength + 1 + textLength, body.count == titleLength + 1 + textLength || body[titleLength + 1 + textLength] == UInt8(ascii: "|"),
            body[titleLength] == UInt8(ascii: "|")
        else { throw .badValue("event") }
        let title = Substring(String(decoding: body[..<titleLength], as: UTF8.self))
        let (token, rest) = try splitToken(title, expectToken: expectToken)
        return .event(token: token, title: String(rest), text: String(decoding: body[(titleLength + 1)..<(titleLength + 1 + textLength)], as: UTF8.self))
    }
}

/// StatsD key rules (SPEC 3.1, after Etsy's sanitizeKeyName).
public enum MetricKey {
    public static let maxBytes = 255
    public static let maxSegments = 32

    /// White space runs become `_`, `/` becomes `-`, anything outside `[A-Za-z0-9_.-]` is removed; then a key
    /// with an empty segment, more than 255 bytes or more than 32 segments is refused.
    public static func sanitize(_ raw: Substring) throws(BadLine) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(raw.utf8.count)
        var inSpace = false
        for b in raw.utf8 {
            if b == 32 || b == 9 || b == 10 || b == 13 || b == 11 || b == 12 {
                if !inSpace { out.append(UInt8(ascii: "_")) }
                inSpace = true
                continue
            }
            inSpace = false
            switch b {
            case UInt8(ascii: "/"): out.append(UInt8(ascii: "-"))
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "-"):
                out.append(b)
            default: continue
            }
        }
        guard !out.isEmpty, out.count <= maxBytes else { throw .badKey("a key is 1 to \(maxBytes) bytes after sanitizing") }
        var segments = 1
        var previous = UInt8(ascii: ".")
        for b in out {
            if b == UInt8(ascii: ".") {
                guard previous != UInt8(ascii: ".") else { throw .badKey("empty segment") }
                segments += 1
            }
            previous = b
        }
        guard previous != UInt8(ascii: "."), segments <= maxSegments else { throw .badKey("empty segment or more than \(maxSegments) segments") }
        return String(decoding: out, as: UTF8.self)
    }
}

/// Decimal numbers only (`-1.5`, `+3`, `2e3`, `.5`), finite: no hex, no `Infinity`, no `NaN`, no spaces.
enum StrictNumber {
    static func parse(_ text: Substring) -> Double? {
        let bytes = text.utf8
        guard !bytes.isEmpty, bytes.count <= 64 else { return nil }
        var sawDigit = false
        var i = bytes.startIndex
        if bytes[i] == UInt8(ascii: "+") || bytes[i] == UInt8(ascii: "-") { i = bytes.index(after: i) }
        while i != bytes.endIndex, (48...57).contains(bytes[i]) { sawDigit = true; i = bytes.index(after: i) }
        if i != bytes.endIndex, bytes[i] == UInt8(ascii: ".") {
            i = bytes.index(after: i)
            while i != bytes.endIndex, (48...57).contains(bytes[i]) { sawDigit = true; i = bytes.index(after: i) }
        }
        guard sawDigit else { return nil }
        if i != bytes.endIndex, bytes[i] == UInt8(ascii: "e") || bytes[i] == UInt8(ascii: "E") {
            i = bytes.index(after: i)
            if i != bytes.endIndex, bytes[i] == UInt8(ascii: "+") || bytes[i] == UInt8(ascii: "-") { i = bytes.index(after: i) }
            var expDigit = false
            while i != bytes.endIndex, (48...57).contains(bytes[i]) { expDigit = true; i = bytes.index(after: i) }
            guard expDigit else { return nil }
        }
        guard i == bytes.endIndex, let value = Double(text), value.isFinite else { return nil }
        return value
    }
}

extension Substring {
    var trimmingWhitespace: Substring {
        var s = self
        while let f = s.first, f == " " || f == "\t" || f == "\r" { s.removeFirst() }
        while let l = s.last, l == " " || l == "\t" || l == "\r" { s.removeLast() }
        return s
    }
}
