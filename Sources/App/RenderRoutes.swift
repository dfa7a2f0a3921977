import Foundation
import HTTP
import Query
import Whisper

/// The read side (SPEC 5): `/api/v1/series`, `/render`, `/metrics/find`, `/metrics/expand`, `/functions`,
/// `/version`, `/tags/autoComplete/tags`. Every read is confined to the reader's own tenant directory.
struct RenderRoutes: Sendable {
    let auth: Authenticator
    let source: SeriesSource

    func register(in router: inout Router) {
        router.add("GET", "/api/v1/series", on: .computePool, api(render))
        router.add("GET", "/render", on: .computePool, api(render))
        router.add("POST", "/render", on: .computePool, api(render))
        router.add("GET", "/metrics/find", on: .computePool, api(find))
        router.add("GET", "/metrics/expand", on: .computePool, api(expand))
        router.add("GET", "/functions", api(functions))
        router.add("GET", "/version", api { _ in .text("1.1.10") })
        router.add("GET", "/tags/autoComplete/tags", api { _ in .json([]) })
    }

    /// Query and (for POST) form parameters, in order.
    private func parameters(_ request: Request) -> [(String, String)] {
        var items = request.queryItems
        if request.method == "POST" { items += FormDecoding.decode(String(decoding: request.body, as: UTF8.self)) }
        return items
    }

    private func render(_ request: Request) throws -> Response {
        let reader = try auth.seriesReader(request)
        let params = parameters(request)
        func value(_ name: String) -> String? { params.first { $0.0 == name }?.1 }
        let now = Int(Date().timeIntervalSince1970)
        let window = try TimeWindow(from: value("from") ?? "-24h", until: value("until") ?? "now", now: now)
        let targets = params.filter { $0.0 == "target" || $0.0 == "target[]" }.map(\.1).filter { !$0.isEmpty }
        if let allowed = reader.allowedTargets, let other = targets.first(where: { !allowed.contains($0) }) {
            throw HTTPError.forbidden("this share key reads only its dashboard's targets, not '\(other.prefix(200))'")
        }
        var series = try source.evaluate(targets, tenantID: reader.tenantID, window: window)
        if let max = value("maxDataPoints").flatMap({ Double($0) }).map({ Int($0) }) {
            series = SeriesSource.consolidate(series, maxDataPoints: max)
        }
        let dropNulls = value("noNullPoints").map { $0 == "true" || $0 == "1" } ?? false
        // noNullPoints leaves out series that have no value at all, as Graphite does.
        if dropNulls { series = series.filter { $0.values.contains { $0 != nil } } }
        if value("format") == "csv" { return .text(RenderFormat.csv(series), contentType: "text/csv") }
        return .json(body: RenderFormat.json(series, dropNulls: dropNulls))
    }

    /// Graphite's tree JSON, written straight into bytes (keys in the order JSON.write sorts them). One node
    /// per name, as Graphite's tree keeps it: a name that is a series and a branch shows as the branch.
    private func find(_ request: Request) throws -> Response {
        let account = try auth.readerAccount(request)
        var nodes = try source.tree(tenantID: account.tenantID).find(request.query("query") ?? "")
        let branches = Set(nodes.filter { !$0.isLeaf }.map(\.path))
        nodes.removeAll { $0.isLeaf && branches.contains($0.path) }
        var out = ByteWriter(capacity: 64 + nodes.count * 160)
        out.append("[")
        for (n, node) in nodes.enumerated() {
            if n > 0 { out.append(",") }
            let flag: StaticString = node.isLeaf ? "0" : "1"
            out.append(#"{"allowChildren":"#)
            out.append(flag)
            out.append(#","context":{},"expandable":"#)
            out.append(flag)
            out.append(#","id":"#)
            out.appendJSONString(node.path)
            out.append(#","leaf":"#)
            out.append(node.isLeaf ? "1" : "0")
            out.append(#","text":"#)
            out.appendJSONString(node.path.lastIndex(of: ".").map { String(node.path[node.path.index(after: $0)...]) } ?? node.path)
            out.append("}")
        }
        out.append("]")
        return .json(body: out.finish())
    }

    private func expand(_ request: Request) throws -> Response {
        let account = try auth.readerAccount(request)
        let tree = try source.tree(tenantID: account.tenantID)
        let leavesOnly = request.query("leavesOnly") == "1"
        var results: [String] = []
        for query in request.queryItems.filter({ $0.0 == "query" }).map(\.1) {
            results += tree.find(query).filter { !leavesOnly || $0.isLeaf }.map(\.path)
        }
        return .json(["results": .array(Array(Set(results)).sorted().map(JSON.string))])
    }

    /// Graphite's description of every function, which Grafana's query editor reads.
    private func functions(_ request: Request) throws -> Response {
        _ = try auth.readerAccount(request)
        var out: [String: JSON] = [:]
        for (name, signature) in Functions.signatures {
            let parameters: [JSON] = signature.parameters.map { p in
                var fields: [String: JSON] = ["name": .string(p.name), "type": .string(p.type), "required": .bool(p.required)]
                if p.multiple { fields["multiple"] = .bool(true) }
                if let value = p.defaultValue { fields["default"] = .string(value) }
                if !p.options.isEmpty { fields["options"] = .array(p.options.map(JSON.string)) }
                return .object(fields)
            }
            out[name] = [
                "name": .string(name), "group": .string(signature.group), "description": .string(signature.description),
                "module": "telewall.functions", "params": .array(parameters),
            ]
        }
        return .json(.object(out))
    }
}

/// Graphite's render output formats.
enum RenderFormat {
    /// `[{"target", "tags": {"name"}, "datapoints": [[value, timestamp], ...]}, ...]`, written straight into a
    /// byte buffer; values as Python writes floats (`3.0`), as Graphite does.
    static func json(_ list: [Series], dropNulls: Bool) -> ResponseBody {
        var out = ByteWriter(capacity: 64 + list.reduce(0) { $0 + 96 + $1.name.utf8.count * 2 + $1.values.count * 32 })
        out.append("[")
        for (n, s) in list.enumerated() {
            if n > 0 { out.append(",") }
            out.append(#"{"target":"#)
            out.appendJSONString(s.name)
            out.append(#","tags":{"name":"#)
            out.appendJSONString(s.name)
            out.append(#"},"datapoints":["#)
            var first = true
            var prefix = TimestampPrefix()
            var time = s.start
            for v in s.values {
                defer { time += s.step }
                if dropNulls && v == nil { continue }
                out.appendPoint(v, time, first: first, &prefix)
                first = false
            }
            out.append("]}")
        }
        out.append("]")
        return out.finish()
    }

    /// `{"name", "start", "step", "values": [...]}`: the TV's compact form of one series.
    static func compact(_ series: Series, to out: inout ByteWriter) {
        out.append(#"{"name":"#)
        out.appendJSONString(series.name)
        out.append(#","start":"#)
        out.appendInteger(series.start)
        out.append(#","step":"#)
        out.appendInteger(series.step)
        out.append(#","values":["#)
        for (i, v) in series.values.enumerated() {
            if i > 0 { out.append(byte: UInt8(ascii: ",")) }
            if let v, v.isFinite { out.appendFloat(v) } else { out.append("null") }
        }
        out.append("]}")
    }

    static func csv(_ list: [Series]) -> String {
        var out = ""
        for s in list {
            for (i, v) in s.values.enumerated() {
                let time = Date(timeIntervalSince1970: TimeInterval(s.start + i * s.step))
                out += "\(s.name),\(csvTime(time)),\(v.map { "\($0)" } ?? "")\r\n"
            }
        }
        return out
    }

    private static func csvTime(_ date: Date) -> String {
        var t = time_t(date.timeIntervalSince1970)
        var parts = tm()
        gmtime_r(&t, &parts)
        var buffer = [CChar](repeating: 0, count: 32)
        strftime(&buffer, buffer.count, "%Y-%m-%d %H:%M:%S", &parts)
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// A growable byte buffer written through a pointer: the render JSON's hot loop appends without Array's
/// per-append uniqueness and capacity checks.
struct ByteWriter: ~Copyable {
    private var storage: UnsafeMutablePointer<UInt8>
    private var capacity: Int
    private var count = 0

    init(capacity: Int) {
        self.capacity = max(64, capacity)
        storage = Self.resize(nil, to: self.capacity)
    }

    deinit { free(storage) }

    /// The bytes written, handed over without a copy (the writer is used up). What the estimate reserved
    /// beyond them is given back first: a shrinking `realloc` stays in place.
    consuming func finish() -> ResponseBody {
        let written = WrittenBytes(takingOwnershipOf: Self.resize(storage, to: max(1, count)), count: count)
        discard self
        return .written(written)
    }

    @inline(__always)
    private mutating func reserve(_ extra: Int) {
        if count + extra > capacity { grow(extra) }
    }

    @inline(never)
    private mutating func grow(_ extra: Int) {
        let grown = max(capacity * 2, count + extra)
        storage = Self.resize(storage, to: grown)
        capacity = grown
    }

    /// `realloc`: a large block grows by remapping its pages rather than copying them.
    private static func resize(_ pointer: UnsafeMutablePointer<UInt8>?, to size: Int) -> UnsafeMutablePointer<UInt8> {
        guard let raw = realloc(pointer, size) else { fatalError("out of memory for a \(size)-byte answer") }
        return raw.assumingMemoryBound(to: UInt8.self)
    }

    @inline(__always)
    mutating func append(byte: UInt8) {
        reserve(1)
        storage[count] = byte
        count += 1
    }

    mutating func append(bytes: [UInt8]) {
        reserve(bytes.count)
        bytes.withUnsafeBufferPointer { if let base = $0.baseAddress { (storage + count).update(from: base, count: $0.count) } }
        count += bytes.count
    }

    /// `[value,timestamp]`, after a comma unless it is the first: room for the longest point is made once.
    @inline(__always)
    mutating func appendPoint(_ value: Double?, _ time: Int, first: Bool, _ prefix: inout TimestampPrefix) {
        reserve(Self.longestPoint)
        if !first { writeByte(UInt8(ascii: ",")) }
        writeByte(UInt8(ascii: "["))
        if let value, value.isFinite { writeFloat(value) } else { write("null") }
        writeByte(UInt8(ascii: ","))
        writeTimestamp(time, &prefix)
        writeByte(UInt8(ascii: "]"))
    }

    /// `,[` + a float (at most 24 characters as Python writes one) + `,` + a timestamp (at most 20) + `]`.
    private static let longestPoint = 64

    /// A timestamp: the digits above its last four are formatted once per 10,000 seconds and kept in `prefix`,
    /// the last four come from the digit-pair table. Consecutive timestamps of a series cost one division.
    /// Room for 20 bytes must have been reserved.
    @inline(__always)
    private mutating func writeTimestamp(_ t: Int, _ prefix: inout TimestampPrefix) {
        guard t >= 10_000, t < 1_000_000_000_000 else { return writeInteger(t) }
        let high = t / 10_000
        let low = t - high * 10_000
        if high != prefix.high { prefix = TimestampPrefix(high) }
        UnsafeMutableRawPointer(storage + count).storeBytes(of: prefix.packed, as: UInt64.self)
        count += prefix.length
        let pairs = Self.digitPairs.utf8Start
        let upper = low / 100 * 2, lower = low % 100 * 2
        storage[count] = pairs[upper]
        storage[count + 1] = pairs[upper + 1]
        storage[count + 2] = pairs[lower]
        storage[count + 3] = pairs[lower + 1]
        count += 4
    }

    /// A JSON string: copied as it is when nothing in it needs escaping (the common case for metric names).
    mutating func appendJSONString(_ text: String) {
        var text = text
        let plain = text.withUTF8 { bytes in
            guard !bytes.contains(where: JSON.needsEscaping) else { return false }
            reserve(bytes.count + 2)
            storage[count] = UInt8(ascii: "\"")
            (storage + count + 1).update(from: bytes.baseAddress!, count: bytes.count)
            storage[count + 1 + bytes.count] = UInt8(ascii: "\"")
            count += bytes.count + 2
            return true
        }
        if !plain { append(bytes: JSON.string(text).bytes) }
    }

    @inline(__always)
    mutating func append(_ text: StaticString) {
        reserve(text.utf8CodeUnitCount)
        (storage + count).update(from: text.utf8Start, count: text.utf8CodeUnitCount)
        count += text.utf8CodeUnitCount
    }

    private static let digitPairs: StaticString = "00010203040506070809101112131415161718192021222324252627282930313233343536373839404142434445464748495051525354555657585960616263646566676869707172737475767778798081828384858687888990919293949596979899"

    @inline(__always)
    private mutating func writeByte(_ byte: UInt8) {
        storage[count] = byte
        count += 1
    }

    @inline(__always)
    private mutating func write(_ text: StaticString) {
        (storage + count).update(from: text.utf8Start, count: text.utf8CodeUnitCount)
        count += text.utf8CodeUnitCount
    }

    @inline(__always)
    mutating func appendInteger(_ n: Int) {
        reserve(21)
        writeInteger(n)
    }

    /// Decimal digits written right to left, two at a time. Room for 20 bytes must have been reserved.
    @inline(__always)
    private mutating func writeInteger(_ n: Int) {
        if n < 0 {
            storage[count] = UInt8(ascii: "-")
            count += 1
        }
        var magnitude = n.magnitude
        var digits = 1
        var power: UInt = 10
        while digits < 20 && magnitude >= power {
            digits += 1
            power &*= 10
        }
        count += digits
        var at = count
        let pairs = Self.digitPairs.utf8Start
        while magnitude >= 100 {
            let pair = Int(magnitude % 100) * 2
            magnitude /= 100
            at -= 2
            storage[at] = pairs[pair]
            storage[at + 1] = pairs[pair + 1]
        }
        if magnitude >= 10 {
            let pair = Int(magnitude) * 2
            storage[at - 2] = pairs[pair]
            storage[at - 1] = pairs[pair + 1]
        } else {
            storage[at - 1] = UInt8(ascii: "0") + UInt8(magnitude)
        }
    }

    mutating func appendFloat(_ v: Double) {
        reserve(32)
        writeFloat(v)
    }

    /// Python's repr of a float: whole numbers as `3.0` (digit by digit, the common case), others shortest.
    /// Room for 32 bytes must have been reserved.
    @inline(__always)
    private mutating func writeFloat(_ v: Double) {
        if abs(v) < 1e15, let whole = Int(exactly: v) {
            if v == 0 && v.sign == .minus { writeByte(UInt8(ascii: "-")) }
            writeInteger(whole)
            write(".0")
        } else {
            for byte in v.description.utf8 { writeByte(byte) }
        }
    }
}

/// The digits of a timestamp above its last four (at most eight), as ASCII packed into a word, first digit in
/// the lowest byte, so that writing them is one store.
struct TimestampPrefix {
    private(set) var high = -1
    private(set) var packed: UInt64 = 0
    private(set) var length = 0

    init() {}

    init(_ high: Int) {
        self.high = high
        var digits: [UInt8] = []
        var rest = high
        repeat {
            digits.append(UInt8(rest % 10) | 0x30)
            rest /= 10
        } while rest > 0
        for (n, digit) in digits.reversed().enumerated() { packed |= UInt64(digit) << (8 * UInt64(n)) }
        length = digits.count
    }
}
