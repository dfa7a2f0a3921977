import Foundation
import Posix

/// The render functions (Graphite semantics for names, nulls and step alignment).
public enum Functions {
    typealias Function = @Sendable (inout RenderContext, inout Arguments) throws(RenderError) -> [Series]

    static let table: [String: Function] = [
        "sumSeries": fold("sumSeries", .sum),
        "averageSeries": fold("averageSeries", .average),
        "maxSeries": fold("maxSeries", .max),
        "minSeries": fold("minSeries", .min),
        "diffSeries": fold("diffSeries", .difference),
        "multiplySeries": multiplySeries,
        "divideSeries": divideSeries,
        "scale": map("scale", "factor") { v, f, _ in v.map { $0 * f } },
        "offset": map("offset", "factor") { v, a, _ in v.map { $0 + a } },
        "absolute": transform("absolute") { s in s.values.map { $0.map(abs) } },
        "derivative": transform("derivative") { s in derivative(s.values, maxValue: nil, nonNegative: false) },
        "nonNegativeDerivative": nonNegativeDerivative,
        "perSecond": perSecond,
        "integral": transform("integral") { s in
            var total = 0.0
            return s.values.map { v in v.map { total += $0; return total } }
        },
        "keepLastValue": keepLastValue,
        "transformNull": map("transformNull", "default", fallback: 0) { v, d, _ in v ?? d },
        "alias": alias,
        "aliasByNode": aliasByNode,
        "aliasSub": aliasSub,
        "constantLine": constantLine,
        "group": { context, args throws(RenderError) in try args.remainingSeries(&context) },
        "limit": limit,
        "sortByName": sortByName,
        "highestCurrent": rank(.highest) { $0.values.last { $0 != nil } ?? nil },
        "lowestCurrent": rank(.lowest) { $0.values.last { $0 != nil } ?? nil },
        "highestMax": rank(.highestFromTheTop) { $0.values.compactMap { $0 }.max() },
        "consolidateBy": consolidateBy,
        "asPercent": asPercent,
        "groupByNode": groupByNode,
        "timeShift": timeShift,
        "movingAverage": movingAverage,
        "summarize": summarize,
        "hitcount": hitcount,
    ]

    /// The reducers groupByNode may name.
    private static let reducers: [String: @Sendable ([Double?]) -> Double?] = [
        "sumSeries": { row in let k = row.compactMap { $0 }; return k.isEmpty ? nil : k.reduce(0, +) },
        "averageSeries": { row in let k = row.compactMap { $0 }; return k.isEmpty ? nil : k.reduce(0, +) / Double(k.count) },
        "maxSeries": { $0.compactMap { $0 }.max() },
        "minSeries": { $0.compactMap { $0 }.min() },
    ]

    /// The list `/functions` describes, sorted.
    public static var names: [String] { table.keys.sorted() }

    public static func isKnown(_ name: String) -> Bool { table[name] != nil }

    // MARK: - Combining

    /// How a combining function folds the known (non-null) values of a row, in series order.
    enum Fold: Sendable {
        case sum, average, max, min
        /// The first known value minus the others.
        case difference
    }

    private static func fold(_ name: String, _ fold: Fold) -> Function {
        { context, args throws(RenderError) in combined(name, try args.remainingSeries(&context), fold).map { [$0] } ?? [] }
    }

    /// Normalizes to the common step and folds each row's known values. Series by series into one accumulator
    /// per row: the same additions in the same order as folding row by row, without building rows.
    static func combined(_ name: String, _ series: [Series], _ fold: Fold) -> Series? {
        let list = normalize(series)
        guard !list.isEmpty else { return nil }
        let length = list.reduce(0) { max($0, $1.values.count) }
        var accumulator = [Double](repeating: 0, count: length)
        var known = [Int](repeating: 0, count: length)
        accumulator.withUnsafeMutableBufferPointer { acc in
            known.withUnsafeMutableBufferPointer { seen in
                for s in list {
                    s.values.withUnsafeBufferPointer { values in
                        if fold == .sum || fold == .average {
                            addKnown(values, to: acc, counting: seen)
                        } else {
                            foldKnown(values, into: acc, counting: seen, fold)
                        }
                    }
                }
            }
        }
        let values: [Double?] = (0..<length).map { i in
            guard known[i] > 0 else { return nil }
            return fold == .average ? accumulator[i] / Double(known[i]) : accumulator[i]
        }
        return combinedSeries(name, list, values)
    }

    /// Sums need no first-value case: every row starts at 0, as `0 + v` would.
    private static func addKnown(_ values: UnsafeBufferPointer<Double?>, to acc: UnsafeMutableBufferPointer<Double>, counting seen: UnsafeMutableBufferPointer<Int>) {
        for i in values.indices {
            guard let v = values[i] else { continue }
            acc[i] += v
            seen[i] += 1
        }
    }

    private static func foldKnown(_ values: UnsafeBufferPointer<Double?>, into acc: UnsafeMutableBufferPointer<Double>, counting seen: UnsafeMutableBufferPointer<Int>, _ fold: Fold) {
        for i in values.indices {
            guard let v = values[i] else { continue }
            if seen[i] == 0 {
                acc[i] = v
            } else {
                switch fold {
                case .sum, .average: acc[i] += v
                case .max: if v > acc[i] { acc[i] = v }
                case .min: if v < acc[i] { acc[i] = v }
                case .difference: acc[i] -= v
                }
            }
            seen[i] += 1
        }
    }

    /// multiplySeries(*seriesLists): one series comes back as it is; several are multiplied row by row (a null
    /// makes the row null) and named by their names in order, repeats included, as graphite-render does.
    private static func multiplySeries(_ context: inout RenderContext, _ args: inout Arguments) throws(RenderError) -> [Series] {
        let list = try args.remainingSeries(&context)
        guard list.count > 1, var product = combined("multiplySeries", list, { row in row.contains { $0 == nil } ? nil : row.reduce(1.0) { $0 * $1! } })
        else { return list }
        product.name = "multiplySeries(\(list.map(\.name).joined(separator: ",")))"
        product.pathExpression = product.name
        return [product]
    }

    /// Normalizes to the common step and reduces each row of values (by index, as Graphite's izip_longest).
    static func combined(_ name: String, _ series: [Series], _ reducer: ([Double?]) -> Double?) -> Series? {
        let list = normalize(series)
        guard !list.isEmpty else { return nil }
        let length = list.reduce(0) { max($0, $1.values.count) }
        var row: [Double?] = []  // reused for every row
        row.reserveCapacity(list.count)
        let values = (0..<length).map { i in
            row.removeAll(keepingCapacity: true)
            for s in list { row.append(i < s.values.count ? s.values[i] : nil) }
            return reducer(row)
        }
        return combinedSeries(name, list, values)
    }

    /// `name(a,b,...)` over the normalized (non-empty) list, spanning all of it at its common step.
    private static func combinedSeries(_ name: String, _ list: [Series], _ values: [Double?]) -> Series {
        let label = "\(name)(\(uniquePaths(list)))"
        let start = list.reduce(Int.max) { min($0, $1.start) }, end = list.reduce(Int.min) { max($0, $1.end) }
        return Series(name: label, pathExpression: label, start: start, end: end, step: list[0].step, values: values)
    }

    /// The distinct path expressions, sorted as Python sorts strings (by code point), as Graphite names the
    /// result of sumSeries and its kin: `sumSeries(a.b.d,a.b.c)` is `sumSeries(a.b.c,a.b.d)`.
    private static func uniquePaths(_ list: [Series]) -> String {
        Set(list.map(\.pathExpression)).sorted { $0.unicodeScalars.lexicographicallyPrecedes($1.unicodeScalars) }.joined(separator: ",")
    }

    private static func divideSeries(_ context: inout RenderContext, _ args: inout Arguments) throws(RenderError) -> [Series] {
        let dividends = try args.seriesList(&context, "dividendSeriesList")
        let divisors = try args.seriesList(&context, "divisorSeries")
        guard divisors.count == 1 else { throw RenderError("divideSeries: the divisor must be exactly one series, got \(divisors.count)") }
        return dividends.map { dividend in
            let pair = normalize([dividend, divisors[0]])
            var out = pair[0]
            out.values = pair[0].values.indices.map { i in
                guard let a = pair[0].values[i], i < pair[1].values.count, let b = pair[1].values[i], b != 0 else { return nil }
                return a / b
            }
            out.name = "divideSeries(\(dividend.name),\(divisors[0].name))"
            out.pathExpression = out.name
            return out
        }
    }

    // MARK: - Per series

    private static func transform(_ name: String, _ body: @escaping @Sendable (Series) -> [Double?]) -> Function {
        { context, args throws(RenderError) in
            try args.seriesList(&context).map { s in
                var out = s
                out.values = body(s)
                out.name = "\(name)(\(s.name))"
                out.pathExpression = out.name
                return out
            }
        }
    }

    private static func map(_ name: String, _ parameter: String, fallback: Double? = nil, _ body: @escaping @Sendable (Double?, Double, Series) -> Double?) -> Function {
        { context, args throws(RenderError) in
            let list = try args.seriesList(&context)
            let factor = try args.number(parameter, default: fallback)
            return list.map { s in
                var out = s
                out.values = s.values.map { body($0, factor, s) }
                out.name = "\(name)(\(s.name),\(pythonG(factor)))"
                out.pathExpression = out.name
                return out
            }
        }
    }

    static func derivative(_ values: [Double?], maxValue: Double?, nonNegative: Bool) -> [Double?] {
        var previous: Double?
        return values.map { value in
            defer { previous = value }
            guard let value, let prev = previous else { return nil }
            let diff = value - prev
            if !nonNegative { return diff }
            if diff >= 0 { return diff }
            if let maxValue, maxValue >= value { return (maxValue - prev) + value + 1 }
            return nil
        }
    }

    /// graphite-render's perSecond: across a gap it keeps the last value and doubles the step per missing point.
    private static func perSecond(_ context: inout RenderContext, _ args: inout Arguments) throws(RenderError) -> [Series] {
        let list = try args.seriesList(&context)
        let maxValue = try args.optionalNumber("maxValue")
        return list.map { s in
            var out = s
            var previous: Double?
            var step = Double(s.step)
            out.values = s.values.map { value -> Double? in
                guard let prev = previous else {
                    previous = value
                    return nil
                }
                guard let value else {
                    step *= 2
                    return nil
                }
                defer {
                    step = Double(s.step)
                    previous = value
                }
                let diff = value - prev
                if diff >= 0 { return diff / step }
                if let maxValue, maxValue >= value { return ((maxValue - prev) + value + 1) / step }
                return nil
            }
            out.name = "perSecond(\(s.name))"
            out.pathExpression = out.name
            return out
        }
    }

    private static func nonNegativeDerivative(_ context: inout RenderContext, _ args: inout Arguments) throws(RenderError) -> [Series] {
        let list = try args.seriesList(&context)
        let maxValue = try args.optionalNumber("maxValue")
        return list.map { s in
            var out = s
            out.values = derivative(s.values, maxValue: maxValue, nonNegative: true)
            out.name = "nonNegativeDerivative(\(s.name))"
            out.pathExpression = out.name
            return out
        }
    }

    private static func keepLastValue(_ context: inout RenderContext, _ args: inout Arguments) throws(RenderError) -> [Series] {
        let list = try args.seriesList(&context)
        let limit = try args.number("limit", default: .infinity)
        return list.map { s in
            var out = s
            var last: Double?
            var gap = 0
            var values = s.values
            for i in values.indices {
                if let v = values[i] {
                    if gap > 0, Double(gap) <= limit, let last { for j in (i - gap)..<i { values[j] = last } }
                    last = v
                    gap = 0
                } else {
                    gap += 1
                }
            }
            if gap > 0, Double(gap) <= limit, let last { for j in (values.count - gap)..<values.count { values[j] = last } }
            out.values = values
            out.name = "keepLastValue(\(s.name))"
            out.pathExpression = out.name
            return out
        }
    }

    // MARK: - Names

    private static func alias(_ context: inout RenderContext, _ args: inout Arguments) throws(RenderError) -> [Series] {
        let list = try args.seriesList(&context)
        let name = try args.string("newName")
        return list.map { var s = $0; s.name = name; return s }
    }

    private static func aliasByNode(_ context: inout RenderContext, _ args: inout Arguments) throws(RenderError) -> [Series] {
        let list = try args.seriesList(&context)
        let nodes = try args.integers()
        return list.map { s in
            var out = s
            let parts = baseName(s.name).split(separator: ".", omittingEmptySubsequences: false)
            out.name = nodes.compactMap { n -> Substring? in
                let i = n < 0 ? parts.count + n : n
                return i >= 0 && i < parts.count ? parts[i] : nil
            }.joined(separator: ".")
            return out
        }
    }

    /// The first path in a name such as `maxSeries(scale(a.b.c,2),a.b.d)` (`a.b.c`), found as Graphite's
    /// aliasByNode finds it: the name read as a target, then each call's first argument. A name that is no
    /// target (an alias may be anything) is cut at its last `(` and next `,` or `)`.
    static func baseName(_ name: String) -> String {
        var expression = try? ExpressionParser.parse(name)
        while case .call(_, let arguments, _)? = expression { expression = arguments.first }
        if case .path(let path)? = expression { return path }
        var text = Substring(name)
        while let open = text.lastIndex(of: "(") { text = text[text.index(after: open)...] }
        let end = text.firstIndex { $0 == "," || $0 == ")" } ?? text.endIndex
        return String(text[..<end])
    }

    private static func aliasSub(_ context: inout RenderContext, _ args: inout Arguments) throws(RenderError) -> [Series] {
        let list = try args.seriesList(&context)
        let search = try args.string("search")
        let replace = try args.string("replace")
        guard let regex = TimedRegex(search) else { throw RenderError("aliasSub: '\(search)' is not a regular expression") }
        let unescaped = pythonTemplate(replace)
        let deadline = threadCPUSeconds() + regexSeconds
        return try list.map { s throws(RenderError) in
            var out = s
            guard let name = regex.replacingMatches(in: s.name, template: unescaped, deadline: deadline) else {
                throw RenderError("aliasSub: '\(search.prefix(100))' took more than \(Int(regexSeconds * 1000)) ms on these names; simplify it")
            }
            out.name = name
            return out
        }
    }

    /// How much CPU time one aliasSub's pattern may take over all its series. CPU time, not wall time: on a
    /// busy server a render waits for a CPU, and that wait must not fail a pattern that is merely slow.
    static let regexSeconds = 0.25

    private static func constantLine(_ context: inout RenderContext, _ args: inout Arguments) throws(RenderError) -> [Series] {
        let value = try args.number("value")
        let step = max(1, (context.until - context.from) / 2)
        let literal = pythonLiteral(value)
        return [Series(name: literal, pathExpression: "constantLine(\(literal))", start: context.from, end: context.until, step: step, values: [value, value, value])]
    }

    // MARK: - Lists

    private static func limit(_ context: inout RenderContext, _ args: inout Arguments) throws(RenderError) -> [Series] {
        let list = try args.seriesList(&context)
        return Array(list.prefix(max(0, try args.integer("n"))))
    }

    private static func sortByName(_ context: inout RenderContext, _ args: inout Arguments) throws(RenderError) -> [Series] {
        let list = try args.seriesList(&context)
        let natural = try args.bool("natural", default: false)
        let reverse = try args.bool("reverse", default: false)
        let sorted = list.sorted { natural ? $0.name.localizedStandardCompare($1.name) == .orderedAscending : $0.name < $1.name }
        return reverse ? sorted.reversed() : sorted
    }

    /// Which n series a ranking keeps, and in what order.
    enum Ranking {
        /// The last n of the ascending order, still ascending (highestCurrent).
        case highest
        /// The first n of the ascending order (lowestCurrent).
        case lowest
        /// The last n, listed from the highest down (highestMax).
        case highestFromTheTop
    }

    /// The series sorted by their key, ascending and stable (ties keep their order), as graphite-render sorts
    /// them, and n kept as `ranking` says. A series without a key (no value at all) sorts below every number,
    /// as None did in the Python 2 that Graphite was written for (graphite-render fails comparing it).
    private static func rank(_ ranking: Ranking, _ key: @escaping @Sendable (Series) -> Double?) -> Function {
        { context, args throws(RenderError) in
            let list = try args.seriesList(&context)
            let n = max(0, try args.integer("n", default: 1))
            let ascending = list.enumerated().map { i, s in (index: i, series: s, key: key(s) ?? -.infinity) }
                .sorted { ($0.key, $0.index) < ($1.key, $1.index) }
            switch ranking {
            case .highest: return ascending.suffix(n).map(\.series)
            case .lowest: return ascending.prefix(n).map(\.series)
            case .highestFromTheTop:
                return ascending.suffix(n).sorted { $0.key > $1.key || ($0.key == $1.key && $0.index < $1.index) }.map(\.series)
            }
        }
    }

    private static func consolidateBy(_ context: inout RenderContext, _ args: inout Arguments) throws(RenderError) -> [Series] {
        let list = try args.seriesList(&context)
        let method = try args.string("consolidationFunc")
        guard Consolidation.names.contains(method) else { throw RenderError("consolidateBy: unknown function '\(method)'") }
        return list.map { s in
            var out = s
            out.consolidation = method
            out.name = "consolidateBy(\(s.name),\"\(method)\")"
            out.pathExpression = out.name
            return out
        }
    }
}

extension Functions {
    /// asPercent(seriesList, total=None): each series as a percentage of the total (the sum of the list, one
    /// series, or a number), as graphite-render computes it.
    fileprivate static func asPercent(_ context: inout RenderContext, _ args: inout Arguments) throws(RenderError) -> [Series] {
        let list = normalize(try args.seriesList(&context))
        guard let first = list.first else { return [] }
        let totalValues: [Double?]
        let totalText: String
        switch try? args.expression("total") {
        case nil:
            totalValues = (0..<(list.map(\.values.count).max() ?? 0)).map { i in
                let known = list.compactMap { i < $0.values.count ? $0.values[i] : nil }
                return known.isEmpty ? nil : known.reduce(0, +)
            }
            totalText = "sumSeries(\(uniquePaths(list)))"
        case .number(let n)?:
            totalValues = Array(repeating: n, count: first.values.count)
            totalText = pythonLiteral(n)
        case let e?:
            let totals = try context.evaluate(e)
            guard totals.count == 1 else { throw RenderError("asPercent: the total must be one series or a number") }
            totalValues = normalize(list + totals).last!.values
            totalText = totals[0].name
        }
        return list.map { s in
            var out = s
            out.values = s.values.indices.map { i in
                guard let v = s.values[i], i < totalValues.count, let t = totalValues[i], t != 0 else { return nil }
                return v / t * 100
            }
            out.name = "asPercent(\(s.name),\(totalText))"
            out.pathExpression = out.name
            return out
        }
    }

    /// groupByNode(seriesList, nodeNum, callback): series grouped by one node of their name, each group reduced.
    fileprivate static func groupByNode(_ context: inout RenderContext, _ args: inout Arguments) throws(RenderError) -> [Series] {
        let list = try args.seriesList(&context)
        let node = try args.integer("nodeNum")
        let callback = try args.string("callback", default: "sumSeries")
        guard let reducer = reducers[callback] else { throw RenderError("groupByNode: unsupported callback '\(callback)'") }
        var keys: [String] = []
        var groups: [String: [Series]] = [:]
        for s in list {
            let parts = s.name.split(separator: ".", omittingEmptySubsequences: false)
            // Python's indexing, as Graphite's: -1 is the last node.
            guard (-parts.count..<parts.count).contains(node) else { throw RenderError("groupByNode: node \(node) is out of range for \(s.name)") }
            let key = String(parts[node < 0 ? parts.count + node : node])
            if groups[key] == nil { keys.append(key) }
            groups[key, default: []].append(s)
        }
        return keys.compactMap { key in
            guard var out = combined(callback, groups[key]!, reducer) else { return nil }
            out.name = key
            return out
        }
    }

    /// timeShift(seriesList, '1d'): the same series fetched over the range shifted back (or `+` forward).
    fileprivate static func timeShift(_ context: inout RenderContext, _ args: inout Arguments) throws(RenderError) -> [Series] {
        let expression = try args.expression("seriesList")
        var shift = try args.string("timeShift")
        if shift.first?.isNumber == true { shift = "-" + shift }
        guard let delta = TimeSpec.parse(shift, now: 0) else { throw RenderError("timeShift: '\(shift)' is not an interval") }
        // As Graphite: the shifted series take the start and end of the unshifted first series.
        guard let base = try context.evaluate(expression).first else { return [] }
        var shifted = context
        shifted.from += delta
        shifted.until += delta
        let list = try shifted.evaluate(expression)
        context.touched = shifted.touched
        return list.map { s in
            var out = s
            out.name = "timeShift(\(s.name), \(shift))"
            out.start = base.start
            out.end = base.end
            return out
        }
    }

    /// movingAverage(seriesList, windowSize): the average of the last N points (or of an interval such as '5min').
    fileprivate static func movingAverage(_ context: inout RenderContext, _ args: inout Arguments) throws(RenderError) -> [Series] {
        let expression = try args.expression("seriesList")
        let window = try args.numberOrString("windowSize")
        let probe = try context.evaluate(expression)
        guard !probe.isEmpty else { return [] }
        var interval: Int?
        var count = 0
        switch window {
        case .string(let text): interval = try intervalSeconds(text, "movingAverage")
        case .number(let n):
            guard n >= 0, n <= Double(maxWindowPoints) else {
                throw RenderError("movingAverage: a window of points must be from 0 to \(maxWindowPoints)")
            }
            count = Int(n)
        default: break
        }
        let preview = interval ?? (probe.map(\.step).max()! * count)
        var wider = context
        wider.from -= preview
        let list = try wider.evaluate(expression)
        context.touched = wider.touched
        return list.map { s in
            let points = interval.map { $0 / s.step } ?? count
            var values: [Double?] = []
            let initial = s.values.prefix(points).compactMap { $0 }
            var sum = initial.reduce(0, +)
            var known = initial.count
            values.append(known == 0 ? nil : sum / Double(known))
            if s.values.count > points + 1 {
                for n in 0..<(s.values.count - points - 1) {
                    if let old = s.values[n] { sum -= old; known -= 1 }
                    if let new = s.values[n + points] { sum += new; known += 1 }
                    values.append(known == 0 ? nil : sum / Double(known))
                }
            }
            var out = s
            if case .string(let text) = window {
                out.name = "movingAverage(\(s.name),\"\(text)\")"
            } else {
                out.name = "movingAverage(\(s.name),\(count))"
            }
            out.start = s.start + preview
            out.values = values
            out.pathExpression = out.name
            return out
        }
    }
}

extension Functions {
    /// The longest movingAverage window given in points, far past any screen's width; with steps of at most
    /// TimeSpec's range the window stays an `Int`.
    static let maxWindowPoints = 1_000_000

    /// The most buckets one summarize or hitcount may make over all its series: an interval far below the
    /// series' step over a long range (`'1s'` over a year of 10-minute points) would spell millions per series.
    static let maxBuckets = 10_000_000

    fileprivate static func checkBuckets(_ list: [Series], interval: Int, _ function: String, _ text: String) throws(RenderError) {
        let total = list.reduce(0) { $0 + ($1.end - $1.start) / interval + 1 }
        guard total <= maxBuckets else {
            throw RenderError("\(function): '\(text)' buckets make \(total) points over this range; the most is \(maxBuckets)")
        }
    }

    /// An interval argument such as `'1h'` or `'5min'`, in seconds.
    fileprivate static func intervalSeconds(_ text: String, _ function: String) throws(RenderError) -> Int {
        guard let seconds = TimeSpec.parse(text.hasPrefix("-") || text.hasPrefix("+") ? text : "+" + text, now: 0).map(abs), seconds > 0 else {
            throw RenderError("\(function): '\(text)' is not an interval")
        }
        return seconds
    }

    /// summarize(seriesList, '1h', func='sum', alignToFrom=false): values bucketed by interval, as graphite-render.
    fileprivate static func summarize(_ context: inout RenderContext, _ args: inout Arguments) throws(RenderError) -> [Series] {
        let list = try args.seriesList(&context)
        let text = try args.string("intervalString")
        let interval = try intervalSeconds(text, "summarize")
        let function = try args.string("func", default: "sum")
        let alignToFrom = try args.bool("alignToFrom", default: false)
        guard ["sum", "avg", "last", "max", "min"].contains(function) else { throw RenderError("summarize: unknown function '\(function)'") }
        try checkBuckets(list, interval: interval, "summarize", text)
        return list.map { s in
            var buckets: [Int: [Double]] = [:]
            for (i, timestamp) in stride(from: s.start, through: s.end, by: s.step).enumerated() {
                let key = alignToFrom ? (timestamp - s.start) / interval : timestamp - floorMod(timestamp, interval)
                let value = i < s.values.count ? s.values[i] : nil
                buckets[key, default: []] += value.map { [$0] } ?? []
            }
            let newStart = alignToFrom ? s.start : s.start - floorMod(s.start, interval)
            let rangeEnd = alignToFrom ? s.end : s.end - floorMod(s.end, interval) + interval
            var values: [Double?] = []
            var last = newStart
            for timestamp in stride(from: newStart, to: rangeEnd, by: interval) {
                last = timestamp
                let key = alignToFrom ? (timestamp - s.start) / interval : timestamp - floorMod(timestamp, interval)
                let bucket = buckets[key] ?? []
                if bucket.isEmpty {
                    values.append(nil)
                } else {
                    switch function {
                    case "avg": values.append(bucket.reduce(0, +) / Double(bucket.count))
                    case "last": values.append(bucket.last)
                    case "max": values.append(bucket.max())
                    case "min": values.append(bucket.min())
                    default: values.append(bucket.reduce(0, +))
                    }
                }
            }
            // With alignToFrom the series ends one interval after its last bucket.
            let newEnd = alignToFrom ? last + interval : rangeEnd
            let name = "summarize(\(s.name), \"\(text)\", \"\(function)\"\(alignToFrom ? ", true" : ""))"
            return Series(name: name, start: newStart, end: newEnd, step: interval, values: values)
        }
    }

    /// hitcount(seriesList, '1h'): rates turned into counts per interval bucket, aligned to the end, as graphite-render.
    fileprivate static func hitcount(_ context: inout RenderContext, _ args: inout Arguments) throws(RenderError) -> [Series] {
        let list = try args.seriesList(&context)
        let text = try args.string("intervalString")
        let interval = try intervalSeconds(text, "hitcount")
        try checkBuckets(list, interval: interval, "hitcount", text)
        return list.map { s in
            let bucketCount = Int((Double(s.end - s.start) / Double(interval)).rounded(.up))
            var buckets = [[Double]](repeating: [], count: max(0, bucketCount))
            let newStart = s.end - bucketCount * interval
            for (i, v) in s.values.enumerated() {
                guard let value = v else { continue }
                let startTime = s.start + i * s.step
                let (startBucket, startMod) = (floorDiv(startTime - newStart, interval), floorMod(startTime - newStart, interval))
                var (endBucket, endMod) = (floorDiv(startTime + s.step - newStart, interval), floorMod(startTime + s.step - newStart, interval))
                if endBucket >= bucketCount {
                    endBucket = bucketCount - 1
                    endMod = interval
                }
                if startBucket == endBucket {
                    if startBucket >= 0 { buckets[startBucket].append(value * Double(endMod - startMod)) }
                } else {
                    if startBucket >= 0 { buckets[startBucket].append(value * Double(interval - startMod)) }
                    for j in max(0, startBucket + 1)..<max(max(0, startBucket + 1), endBucket) { buckets[j].append(value * Double(interval)) }
                    if endMod > 0 { buckets[endBucket].append(value * Double(endMod)) }
                }
            }
            let name = "hitcount(\(s.name), \"\(text)\")"
            return Series(name: name, start: newStart, end: s.end, step: interval, values: buckets.map { $0.isEmpty ? nil : $0.reduce(0, +) })
        }
    }
}

/// Python's floor division and modulo (bucket arithmetic goes negative).
func floorDiv(_ a: Int, _ b: Int) -> Int { Int((Double(a) / Double(b)).rounded(.down)) }
func floorMod(_ a: Int, _ b: Int) -> Int { a - floorDiv(a, b) * b }

/// A Python `re.sub` replacement (`\1`, `\g<1>`) as an NSRegularExpression template (`$1`).
func pythonTemplate(_ replace: String) -> String {
    var out = ""
    var chars = Array(replace)[...]
    while let c = chars.popFirst() {
        switch c {
        case "\\":
            if chars.first == "\\" {
                chars.removeFirst()
                out += "\\\\"
            } else if let d = chars.first, d.isNumber {
                out += "$" + String(chars.popFirst()!)
            } else if chars.starts(with: "g<"), let close = chars.firstIndex(of: ">") {
                out += "$" + String(chars[(chars.startIndex + 2)..<close])
                chars = chars[(close + 1)...]
            } else {
                out += "\\\\"
            }
        case "$": out += "\\$"
        default: out.append(c)
        }
    }
    return out
}

/// A number as Python's `int()` takes it, truncated toward zero, and held within ±2^53, far past any list,
/// name or point count, so that converting it cannot trap: `limit(x,1e300)` takes every series.
public func pythonInt(_ n: Double) -> Int {
    Int(min(0x1p53, max(-0x1p53, n)))
}

/// Python's `%g`, with which Graphite puts a function's factor into a name (`scale(x,1e+06)`).
func pythonG(_ value: Double) -> String {
    String(format: "%g", value)
}

/// Python's `str` of a number as the target wrote it (`constantLine(100)`, `asPercent(x,2.5)`): a whole number
/// as an integer literal, anything else as a float. The parser keeps no difference between `100` and `100.0`.
func pythonLiteral(_ value: Double) -> String {
    if value == value.rounded() && abs(value) < 1e16 { return String(Int64(value)) }
    return value.description
}
