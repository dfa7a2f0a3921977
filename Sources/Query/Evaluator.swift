import Foundation

/// Why a render request cannot be answered: a 400 with this message.
public struct RenderError: Error, Sendable, Equatable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// What an expression is evaluated against: the tenant's tree, a fetch of one series over the request's range,
/// and a cap on how many series one request may touch.
public struct RenderContext {
    public let tree: MetricTree
    public var from: Int
    public var until: Int
    /// One series over `from`..`until` (functions such as timeShift ask for other ranges).
    public let fetch: (String, Int, Int) -> Series?
    public let maxSeries: Int
    /// The request's clock (`tz`), where functions find the start of a day or an hour.
    public let timeZone: TimeZone
    var touched = 0

    public init(tree: MetricTree, from: Int, until: Int, timeZone: TimeZone = TimeSpec.utc, maxSeries: Int = 1000,
                fetch: @escaping (String, Int, Int) -> Series?) {
        self.tree = tree
        self.from = from
        self.until = until
        self.timeZone = timeZone
        self.maxSeries = maxSeries
        self.fetch = fetch
    }

    /// Evaluates a target to its list of series.
    public mutating func evaluate(_ expression: TargetExpression) throws(RenderError) -> [Series] {
        switch expression {
        case .path(let pattern):
            let names = try tree.expand(pattern)
            touched += names.count
            guard touched <= maxSeries else { throw RenderError("the request touches more than \(maxSeries) series; narrow the globs") }
            return names.compactMap { name in
                var series = fetch(name, from, until)
                series?.pathExpression = pattern
                return series
            }
        case .call(let name, let arguments, let keywords):
            guard let function = Functions.table[name] else { throw RenderError("unknown function \(name)") }
            try Functions.checkCall(name, positional: arguments.count, keywords: keywords.keys)
            var args = Arguments(name: name, values: arguments, keywords: keywords)
            return try function(&self, &args)
        case .string, .number, .bool:
            throw RenderError("a target must be a series or a function call")
        }
    }
}

/// A function's arguments, read in order with their Graphite types.
struct Arguments {
    let name: String
    let values: [TargetExpression]
    let keywords: [String: TargetExpression]
    private var next = 0

    init(name: String, values: [TargetExpression], keywords: [String: TargetExpression]) {
        self.name = name
        self.values = values
        self.keywords = keywords
    }

    private mutating func take(_ keyword: String?) -> TargetExpression? {
        if let keyword, let value = keywords[keyword] { return value }
        guard next < values.count else { return nil }
        defer { next += 1 }
        return values[next]
    }

    mutating func seriesList(_ context: inout RenderContext, _ keyword: String = "seriesList") throws(RenderError) -> [Series] {
        try context.evaluate(try expression(keyword))
    }

    /// The next argument unevaluated (for functions that evaluate it over another time range).
    mutating func expression(_ keyword: String) throws(RenderError) -> TargetExpression {
        guard let e = take(keyword) else { throw RenderError("\(name): '\(keyword)' is required") }
        return e
    }

    /// A number, or a string such as `'5min'`.
    mutating func numberOrString(_ keyword: String) throws(RenderError) -> TargetExpression {
        let e = try expression(keyword)
        switch e {
        case .number, .string: return e
        default: throw RenderError("\(name): '\(keyword)' must be a number or a quoted interval")
        }
    }

    /// An optional series argument: nil when it is not given.
    mutating func optionalSeriesList(_ context: inout RenderContext, _ keyword: String) throws(RenderError) -> [Series]? {
        guard let e = take(keyword) else { return nil }
        return try context.evaluate(e)
    }

    /// Every remaining positional argument as series (for `sumSeries(a, b, c)`).
    mutating func remainingSeries(_ context: inout RenderContext) throws(RenderError) -> [Series] {
        var all: [Series] = []
        while next < values.count {
            all += try context.evaluate(values[next])
            next += 1
        }
        return all
    }

    mutating func number(_ keyword: String, default fallback: Double? = nil) throws(RenderError) -> Double {
        switch take(keyword) {
        case .number(let n)?: return n
        case nil: if let fallback { return fallback }
        default: break
        }
        throw RenderError("\(name): '\(keyword)' must be a number")
    }

    mutating func optionalNumber(_ keyword: String) throws(RenderError) -> Double? {
        switch take(keyword) {
        case .number(let n)?: return n
        case nil: return nil
        default: throw RenderError("\(name): '\(keyword)' must be a number")
        }
    }

    mutating func string(_ keyword: String, default fallback: String? = nil) throws(RenderError) -> String {
        switch take(keyword) {
        case .string(let s)?: return s
        case nil: if let fallback { return fallback }
        default: break
        }
        throw RenderError("\(name): '\(keyword)' must be a string")
    }

    mutating func bool(_ keyword: String, default fallback: Bool) throws(RenderError) -> Bool {
        switch take(keyword) {
        case .bool(let b)?: return b
        case nil: return fallback
        default: throw RenderError("\(name): '\(keyword)' must be true or false")
        }
    }

    /// A number argument used as a count or a node index.
    mutating func integer(_ keyword: String, default fallback: Int? = nil) throws(RenderError) -> Int {
        pythonInt(try number(keyword, default: fallback.map(Double.init)))
    }

    mutating func integers() throws(RenderError) -> [Int] {
        var out: [Int] = []
        while let e = take(nil) {
            guard case .number(let n) = e else { throw RenderError("\(name): node numbers must be integers") }
            out.append(pythonInt(n))
        }
        return out
    }
}
