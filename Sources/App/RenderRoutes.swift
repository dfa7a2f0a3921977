import Foundation
import HTTP
import Query
import Whisper

/// The read side (SPEC 5): `/api/v1/series`, `/render`, `/metrics/find`, `/metrics/expand`, `/functions`,
/// `/version`, `/tags/autoComplete/tags`. Every read is confined to the reader's own tenant directory.
struct RenderRoutes: Sendable {
    let auth: Authenticator
    let storage: WriteBackCache
    let maxSeries = 1000

    func register(in router: inout Router) {
        router.add("GET", "/api/v1/series", api(render))
        router.add("GET", "/render", api(render))
        router.add("POST", "/render", api(render))
        router.add("GET", "/metrics/find", api(find))
        router.add("GET", "/metrics/expand", api(expand))
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
        let account = try auth.readerAccount(request)
        let params = parameters(request)
        func value(_ name: String) -> String? { params.first { $0.0 == name }?.1 }
        let now = Int(Date().timeIntervalSince1970)
        guard let from = TimeSpec.parse(value("from") ?? "-24h", now: now) else { throw HTTPError.badRequest("from: '\(value("from") ?? "")' is not a time", code: "bad_time") }
        guard let until = TimeSpec.parse(value("until") ?? "now", now: now) else { throw HTTPError.badRequest("until: '\(value("until") ?? "")' is not a time", code: "bad_time") }
        guard from < until else { throw HTTPError.badRequest("from must be before until", code: "bad_time") }
        let targets = params.filter { $0.0 == "target" || $0.0 == "target[]" }.map(\.1).filter { !$0.isEmpty }
        let tree = MetricTree(root: try storage.paths.tenantDirectory(account.tenantID), maxSeries: maxSeries)
        var context = RenderContext(tree: tree, from: from, until: until, maxSeries: maxSeries) { name, from, until in
            guard let result = try? storage.fetch(tenant: account.tenantID, series: name, from: from, until: until, now: now) else { return nil }
            return Series(name: name, start: result.from, end: result.until, step: result.step, values: result.values)
        }
        var series = try Self.evaluate(targets, in: &context)
        if let max = value("maxDataPoints").flatMap({ Double($0) }).map({ Int($0) }), max > 0, !series.isEmpty {
            let start = series.map(\.start).min()!, end = series.map(\.end).max()!
            series = series.map { $0.limited(to: max, start: start, end: end) }
        }
        let dropNulls = value("noNullPoints").map { $0 == "true" || $0 == "1" } ?? false
        // noNullPoints leaves out series that have no value at all, as Graphite does.
        if dropNulls { series = series.filter { $0.values.contains { $0 != nil } } }
        if value("format") == "csv" { return .text(RenderFormat.csv(series), contentType: "text/csv") }
        return Response(
            status: 200, headers: [Header("Content-Type", "application/json"), Header("X-Content-Type-Options", "nosniff")],
            body: RenderFormat.json(series, dropNulls: dropNulls))
    }

    /// Every target's series, in order; a bad target is a 400 naming it, the problem and its position.
    private static func evaluate(_ targets: [String], in context: inout RenderContext) throws(HTTPError) -> [Series] {
        var series: [Series] = []
        for target in targets {
            let expression: TargetExpression
            do { expression = try ExpressionParser.parse(target) } catch {
                throw HTTPError.badRequest("target '\(target.prefix(200))': \(error.description)", code: "bad_target")
            }
            do { series += try context.evaluate(expression) } catch {
                throw HTTPError.badRequest("target '\(target.prefix(200))': \(error.message)", code: "bad_target")
            }
        }
        return series
    }

    private func find(_ request: Request) throws -> Response {
        let account = try auth.readerAccount(request)
        let query = request.query("query") ?? ""
        let tree = MetricTree(root: try storage.paths.tenantDirectory(account.tenantID), maxSeries: maxSeries)
        return .json(.array(tree.find(query).map { node in
            let text = String(node.path.split(separator: ".").last ?? "")
            return [
                "id": .string(node.path), "text": .string(text), "leaf": .number(node.isLeaf ? 1 : 0),
                "expandable": .number(node.isLeaf ? 0 : 1), "allowChildren": .number(node.isLeaf ? 0 : 1), "context": [:],
            ]
        }))
    }

    private func expand(_ request: Request) throws -> Response {
        let account = try auth.readerAccount(request)
        let tree = MetricTree(root: try storage.paths.tenantDirectory(account.tenantID), maxSeries: maxSeries)
        let leavesOnly = request.query("leavesOnly") == "1"
        var results: [String] = []
        for query in request.queryItems.filter({ $0.0 == "query" }).map(\.1) {
            results += tree.find(query).filter { !leavesOnly || $0.isLeaf }.map(\.path)
        }
        return .json(["results": .array(Array(Set(results)).sorted().map(JSON.string))])
    }

    private func functions(_ request: Request) throws -> Response {
        _ = try auth.readerAccount(request)
        var out: [String: JSON] = [:]
        for name in Functions.names {
            out[name] = ["name": .string(name), "group": "Telewall", "description": "", "params": [["name": "seriesList", "type": "seriesList", "required": true]]]
        }
        return .json(.object(out))
    }
}

/// Graphite's render output formats.
enum RenderFormat {
    /// `[{"target", "tags": {"name"}, "datapoints": [[value, timestamp], ...]}, ...]`, written straight to bytes;
    /// values as Python writes floats (`3.0`), as Graphite does.
    static func json(_ list: [Series], dropNulls: Bool) -> [UInt8] {
        var out: [UInt8] = [UInt8(ascii: "[")]
        out.reserveCapacity(64 + list.reduce(0) { $0 + $1.values.count * 24 })
        for (n, s) in list.enumerated() {
            if n > 0 { out.append(UInt8(ascii: ",")) }
            out += Array(#"{"target":"#.utf8)
            JSON.writeString(s.name, to: &out)
            out += Array(#","tags":{"name":"#.utf8)
            JSON.writeString(s.name, to: &out)
            out += Array(#"},"datapoints":["#.utf8)
            var first = true
            for (i, v) in s.values.enumerated() where !(dropNulls && v == nil) {
                if !first { out.append(UInt8(ascii: ",")) }
                first = false
                out.append(UInt8(ascii: "["))
                if let v, v.isFinite { appendFloat(v, to: &out) } else { out += Array("null".utf8) }
                out.append(UInt8(ascii: ","))
                appendInteger(s.start + i * s.step, to: &out)
                out.append(UInt8(ascii: "]"))
            }
            out += Array("]}".utf8)
        }
        out.append(UInt8(ascii: "]"))
        return out
    }

    /// Python's repr of a float: whole numbers as `3.0` (written digit by digit, the common case), others shortest.
    static func appendFloat(_ v: Double, to out: inout [UInt8]) {
        if v == v.rounded(), abs(v) < 1e15 {
            appendInteger(Int(v), to: &out)
            if v == 0 && v.sign == .minus { out.insert(UInt8(ascii: "-"), at: out.count - 1) }
            out += [UInt8(ascii: "."), UInt8(ascii: "0")]
        } else {
            out += Array(v.description.utf8)
        }
    }

    static func appendInteger(_ n: Int, to out: inout [UInt8]) {
        if n < 0 { out.append(UInt8(ascii: "-")) }
        var magnitude = n.magnitude
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var count = 0
        withUnsafeMutableBytes(of: &digits) { buffer in
            repeat {
                buffer[count] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                magnitude /= 10
                count += 1
            } while magnitude > 0
            for i in stride(from: count - 1, through: 0, by: -1) { out.append(buffer[i]) }
        }
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
