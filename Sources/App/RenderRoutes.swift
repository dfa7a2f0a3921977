import Foundation
import HTTP
import Query
import Whisper

/// The read side (SPEC 5): `/api/v1/series`, `/render`, `/metrics/find`, `/metrics/expand`, `/metrics/index.json`, `/functions`,
/// `/version`, `/tags/autoComplete/tags` and `values`. Every read is confined to the reader's own tenant directory.
struct RenderRoutes: Sendable {
    let auth: Authenticator
    let source: SeriesSource

    func register(in router: inout Router) {
        router.add("GET", "/api/v1/series", on: .computePool, api(render))
        router.add("GET", "/render", on: .computePool, api(render))
        router.add("POST", "/render", on: .computePool, api(render))
        // Grafana's query editor and template variables POST the query as a form (`query=app.*`), with from and
        // until in the URL; older versions GET it.
        for method in ["GET", "POST"] {
            router.add(method, "/metrics/find", on: .computePool, api(find))
            router.add(method, "/metrics/expand", on: .computePool, api(expand))
            router.add(method, "/metrics/index.json", on: .computePool, api(index))
        }
        router.add("GET", "/functions", api(functions))
        router.add("GET", "/version", api { _ in .text("1.1.10") })
        // No tags yet: Grafana's tag editor asks for names and values, and shows none.
        for path in ["/tags/autoComplete/tags", "/tags/autoComplete/values"] { router.add("GET", path, api { _ in .json([]) }) }
    }

    /// Query and (for POST) form parameters, in order, decoded once per request.
    private struct Parameters {
        let items: [(String, String)]

        init(_ request: Request) {
            var items = request.queryItems
            if request.method == "POST" { items += FormDecoding.decode(String(decoding: request.body, as: UTF8.self)) }
            self.items = items
        }

        /// The first value of `name`.
        func first(_ name: String) -> String? { items.first { $0.0 == name }?.1 }

        /// Every value of any of `names`, in order.
        func all(_ names: String...) -> [String] { items.filter { names.contains($0.0) }.map(\.1) }
    }

    private func render(_ request: Request) throws -> Response {
        let reader = try auth.seriesReader(request)
        let params = Parameters(request)
        let zone = try Self.timeZone(params.first("tz"))
        let window = try TimeWindow(from: params.first("from") ?? "-24h", until: params.first("until") ?? "now", now: params.first("now"),
                                    clock: Int(Date().timeIntervalSince1970), timeZone: zone)
        let targets = params.all("target", "target[]").filter { !$0.isEmpty }
        if let allowed = reader.allowedTargets, let other = targets.first(where: { !allowed.contains($0) }) {
            throw HTTPError.forbidden("this share key reads only its dashboard's targets, not '\(other.prefix(200))'")
        }
        // Graphite's spelling of raw before `format` existed: `rawData` present at all.
        let format = params.first("format") ?? (params.first("rawData") != nil ? "raw" : "json")
        guard ["json", "csv", "raw"].contains(format) else {
            throw HTTPError.badRequest("format: '\(format.prefix(100))' is not one Telewall writes; use json, csv or raw", code: "bad_parameter")
        }
        var series = try source.evaluate(targets, tenantID: reader.tenantID, window: window)
        // Graphite's CSV and raw text have every point of every series: maxDataPoints and noNullPoints shape only
        // the JSON.
        switch format {
        case "csv": return Response(headers: [Header("Content-Type", "text/csv")], body: RenderFormat.csv(series, timeZone: zone))
        case "raw": return Response(headers: [Header("Content-Type", "text/plain")], body: RenderFormat.raw(series))
        default: break
        }
        if let text = params.first("maxDataPoints") {
            guard let limit = Double(text), limit.isFinite else {
                throw HTTPError.badRequest("maxDataPoints: '\(text.prefix(100))' is not a number", code: "bad_parameter")
            }
            series = SeriesSource.consolidate(series, maxDataPoints: max(0, pythonInt(limit)))
        }
        let dropNulls = params.first("noNullPoints").map { $0 == "true" || $0 == "1" } ?? false
        // noNullPoints leaves out every point JSON would write as null (graphite-web 1.1 leaves out None and NaN;
        // an infinity, which it writes as 1e9999, is null here), and then a series with no point left, as Graphite
        // does. After maxDataPoints, as in graphite-web 1.1 (graphite-render ignores noNullPoints under it).
        if dropNulls { series = series.filter { $0.values.contains { $0?.isFinite == true } } }
        return .json(body: RenderFormat.json(series, dropNulls: dropNulls))
    }

    /// `tz` (`TimeSpec.zone(named:)`): UTC when absent or empty, a 400 when no zone has that name.
    private static func timeZone(_ name: String?) throws(HTTPError) -> TimeZone {
        guard let name, !name.isEmpty else { return TimeSpec.utc }
        guard let zone = TimeSpec.zone(named: name) else {
            throw HTTPError.badRequest("tz: '\(name.prefix(100))' is not a time zone name such as Europe/Berlin or UTC", code: "bad_parameter")
        }
        return zone
    }

    /// Graphite's `/metrics/find` in the `format` asked for (`FindFormat`), with its `wildcards` and `position`.
    private func find(_ request: Request) throws -> Response {
        let account = try auth.readerAccount(request)
        let params = Parameters(request)
        let query = params.first("query") ?? ""
        let wildcards = try Self.integer(params.first("wildcards"), named: "wildcards", otherwise: 0) != 0
        let nodes = FindFormat.oneNodePerName(try Self.find(query, in: source.tree(tenantID: account.tenantID)))
        switch params.first("format") ?? "treejson" {
        case "treejson": return .json(body: FindFormat.treeJSON(nodes, query: query, wildcards: wildcards))
        case "completer": return .json(FindFormat.completer(nodes, wildcards: wildcards))
        case "nodelist":
            let position = try Self.integer(params.first("position"), named: "position", otherwise: -1)
            return .json(try FindFormat.nodeList(nodes, position: position))
        case let format:
            throw HTTPError.badRequest("format: '\(format.prefix(100))' is not one Telewall writes for find; use treejson, completer or nodelist",
                                       code: "bad_parameter")
        }
    }

    /// An integer parameter, `otherwise` when absent; a 400 naming it when it is not an integer.
    private static func integer(_ text: String?, named name: String, otherwise: Int) throws(HTTPError) -> Int {
        guard let text else { return otherwise }
        guard let value = Int(text) else { throw HTTPError.badRequest("\(name): '\(text.prefix(100))' is not an integer", code: "bad_parameter") }
        return value
    }

    private func expand(_ request: Request) throws -> Response {
        let account = try auth.readerAccount(request)
        let tree = try source.tree(tenantID: account.tenantID)
        let params = Parameters(request)
        let leavesOnly = params.first("leavesOnly") == "1"
        var results: [(query: String, paths: Set<String>)] = []
        for query in params.all("query") {
            let paths = try Self.find(query, in: tree).filter { !leavesOnly || $0.isLeaf }.map(\.path)
            if !paths.isEmpty { results.append((query, Set(paths))) }
        }
        // groupByExpr: each query that matched, with its own paths (Graphite's form for it); otherwise all in one list.
        guard params.first("groupByExpr") == "1" else {
            return .json(["results": .array(results.reduce(into: Set<String>()) { $0.formUnion($1.paths) }.sorted().map(JSON.string))])
        }
        var grouped: [String: JSON] = [:]
        for (query, paths) in results { grouped[query] = .array(paths.sorted().map(JSON.string)) }
        return .json(["results": .object(grouped)])
    }

    /// Graphite's `/metrics/index.json`: the names of all the tenant's series, sorted.
    private func index(_ request: Request) throws -> Response {
        let account = try auth.readerAccount(request)
        let limit = 200_000
        guard let names = try source.tree(tenantID: account.tenantID).allSeries(limit: limit) else {
            throw HTTPError.badRequest("more than \(limit) series and directories; /metrics/find lists a part of the tree", code: "too_many_series")
        }
        return .json(.array(names.map(JSON.string)))
    }

    /// A query that is no glob the tree takes (braces spelling too many patterns) is a 400 naming it.
    private static func find(_ query: String, in tree: MetricTree) throws(HTTPError) -> [MetricTree.Node] {
        do {
            return try tree.find(query)
        } catch {
            throw HTTPError.badRequest("query: \(error.description)", code: "bad_query")
        }
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
            // As graphite-render: noNullPoints writes every value that is not null, the plain form those with a
            // timestamp up to the series' end.
            let written = dropNulls ? s.values.count : s.writtenCount
            out.appendPoints(s.values[..<written], start: s.start, step: s.step, dropNulls: dropNulls)
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

    /// Graphite's CSV (Python's `csv` module, excel dialect): `name,YYYY-MM-DD HH:MM:SS,value` for every point,
    /// on the clock of `timeZone` (`tz`, UTC unless given), an empty value for null; a name with a comma, a quote or
    /// a line break goes in double quotes.
    static func csv(_ list: [Series], timeZone: TimeZone) -> ResponseBody {
        var out = ByteWriter(capacity: 64 + list.reduce(0) { $0 + $1.values.count * ($1.name.utf8.count + 48) })
        var clock = ZoneClock(timeZone)
        var day = CalendarDay()
        for s in list {
            let name = csvField(s.name)
            for (i, v) in s.values.enumerated() {
                out.append(bytes: name)
                out.append(byte: UInt8(ascii: ","))
                out.appendDateTime(wallClock: clock.wallClock(s.start + i * s.step), day: &day)
                out.append(byte: UInt8(ascii: ","))
                if let v { out.appendFloat(v) }
                out.append("\r\n")
            }
        }
        return out.finish()
    }

    /// Graphite's raw text: a line per series, `name,start,end,step|` then its values as Python writes them,
    /// `None` for a null.
    static func raw(_ list: [Series]) -> ResponseBody {
        var out = ByteWriter(capacity: 64 + list.reduce(0) { $0 + 96 + $1.name.utf8.count + $1.values.count * 24 })
        for s in list {
            out.append(bytes: Array(s.name.utf8))
            for field in [s.start, s.end, s.step] {
                out.append(byte: UInt8(ascii: ","))
                out.appendInteger(field)
            }
            out.append(byte: UInt8(ascii: "|"))
            for (i, v) in s.values.enumerated() {
                if i > 0 { out.append(byte: UInt8(ascii: ",")) }
                if let v { out.appendFloat(v) } else { out.append("None") }
            }
            out.append(byte: UInt8(ascii: "\n"))
        }
        return out.finish()
    }

    private static func csvField(_ text: String) -> [UInt8] {
        let bytes = Array(text.utf8)
        guard bytes.contains(where: { $0 == UInt8(ascii: ",") || $0 == UInt8(ascii: "\"") || $0 == 13 || $0 == 10 }) else { return bytes }
        return Array("\"\(text.replacingOccurrences(of: "\"", with: "\"\""))\"".utf8)
    }
}
