import Foundation
import Posix

/// The render functions (Graphite semantics for names, nulls and step alignment).
public enum Functions {
    typealias Function = @Sendable (inout RenderContext, inout Arguments) throws(RenderError) -> [Series]

    /// Every function a target may call: SPEC 5.1's and the others Grafana dashboards use often.
    static let table: [String: Function] = [filterTable, transformTable, groupTable, statisticsTable].reduce(specTable) {
        $0.merging($1) { spec, _ in spec }
    }

    /// The functions SPEC 5.1 names.
    private static let specTable: [String: Function] = [
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
        "transformNull": transformNull,
        "alias": alias,
        "aliasByNode": aliasByNode,
        "aliasSub": aliasSub,
        "constantLine": constantLine,
        "group": { context, args throws(RenderError) in try args.remainingSeries(&context) },
        "limit": limit,
        "sortByName": sortByName,
        "highestCurrent": rank(.highest, last),
        "lowestCurrent": rank(.lowest, last),
        "highestMax": rank(.highestFromTheTop, maximum),
        "consolidateBy": consolidateBy,
        "asPercent": asPercent,
        "groupByNode": groupByNode,
        "timeShift": timeShift,
        "movingAverage": movingAverage,
        "summarize": summarize,
        "hitcount": hitcount,
    ]

    /// The reducers groupByNode may name.
    static let reducers: [String: Statistic] = ["sumSeries": total, "averageSeries": average, "maxSeries": maximum, "minSeries": minimum]

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

    /// A combining function that reduces each row of its series lists (stddevSeries, rangeOfSeries).
    static func fold(_ name: String, _ reducer: @escaping Statistic) -> Function {
        { context, args throws(RenderError) in combined(name, try args.remainingSeries(&context), reducer).map { [$0] } ?? [] }
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
                // Graphite's diffSeries sums the first value and the others negated from an integer 0, which
                // turns a first -0.0 into 0.0; max and min keep it, as Python's do.
                acc[i] = fold == .difference ? 0 + v : v
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
        let (start, end) = normalizedSpan(list)
        return Series(name: label, pathExpression: label, start: start, end: end, step: list[0].step, values: values)
    }

    /// The distinct path expressions, sorted as Python sorts strings (by code point), as Graphite names the
    /// result of sumSeries and its kin: `sumSeries(a.b.d,a.b.c)` is `sumSeries(a.b.c,a.b.d)`.
    static func uniquePaths(_ list: [Series]) -> String {
        Set(list.map(\.pathExpression)).sorted { $0.precedesAsPython($1) }.joined(separator: ",")
    }

    private static func divideSeries(_ context: inout RenderContext, _ args: inout Arguments) throws(RenderError) -> [Series] {
        let dividends = try args.seriesList(&context, "dividendSeriesList")
        let divisors = try args.seriesList(&context, "divisorSeries")
        // No divisor at all: as Graphite, each dividend stays, named for the missing divisor, with no values.
        if divisors.isEmpty {
            return dividends.map { dividend in
                var out = dividend.renamedAsCall("divideSeries(\(dividend.name),MISSING)")
                out.values = dividend.values.map { _ in nil }
                return out
            }
        }
        guard divisors.count == 1 else { throw RenderError("divideSeries: the divisor must be exactly one series, got \(divisors.count)") }
        return dividends.map { quotient($0, divisors[0], rows: .longer) }
    }

    /// How many rows a quotient of two series of different lengths has: Python's zip_longest (divideSeries) or
    /// zip (divideSeriesLists).
    enum Rows { case longer, shorter }

    /// `divideSeries(dividend,divisor)`: at their common step, row by row, null where either is null or the
    /// divisor is 0.
    static func quotient(_ dividend: Series, _ divisor: Series, rows: Rows) -> Series {
        let pair = normalize([dividend, divisor])
        let (a, b) = (pair[0].values, pair[1].values)
        let count = rows == .longer ? max(a.count, b.count) : min(a.count, b.count)
        var out = pair[0].renamedAsCall("divideSeries(\(dividend.name),\(divisor.name))")
        out.values = (0..<count).map { i in
            guard i < a.count, let x = a[i], i < b.count, let y = b[i], y != 0 else { return nil }
            return x / y
        }
        (out.start, out.end) = normalizedSpan(pair)
        return out
    }

    // MARK: - Per series

    /// A function of each series' values, named `name(series)`; with `keepsPath`, the series keeps its path
    /// expression, as graphite-render's invert, squareRoot and offsetToZero leave it (so `sumSeries` around
    /// them names the path under them).
    static func transform(_ name: String, keepsPath: Bool = false, _ body: @escaping @Sendable (Series) -> [Double?]) -> Function {
        { context, args throws(RenderError) in
            try args.seriesList(&context).map { s in
                var out = keepsPath ? s.renamed("\(name)(\(s.name))") : s.renamedAsCall("\(name)(\(s.name))")
                out.values = body(s)
                return out
            }
        }
    }

    private static func map(_ name: String, _ parameter: String, fallback: Double? = nil, _ body: @escaping @Sendable (Double?, Double, Series) -> Double?) -> Function {
        { context, args throws(RenderError) in
            let list = try args.seriesList(&context)
            let factor = try args.number(parameter, default: fallback)
            return list.map { s in
                var out = s.renamedAsCall("\(name)(\(s.name),\(pythonG(factor)))")
                out.values = s.values.map { body($0, factor, s) }
                return out
            }
        }
    }

    /// transformNull(seriesList, default, referenceSeries): nulls become `default`; given reference series, only
    /// at the positions where one of them has a value, as Graphite does.
    private static func transformNull(_ context: inout RenderContext, _ args: inout Arguments) throws(RenderError) -> [Series] {
        let list = try args.seriesList(&context)
        let fallback = try args.number("default", default: 0)
        let reference = try args.optionalSeriesList(&context, "referenceSeries") ?? []
        let covered = (0..<(reference.map(\.values.count).max() ?? 0)).map { i in
            reference.contains { i < $0.values.count && $0.values[i] != nil }
        }
        return list.map { s in
            var out = s.renamedAsCall("transformNull(\(s.name),\(pythonG(fallback))\(reference.isEmpty ? "" : ",referenceSeries"))")
            out.values = s.values.enumerated().map { i, v in
                v ?? (covered.isEmpty || (i < covered.count && covered[i]) ? fallback : nil)
            }
            return out
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
            var out = s.renamedAsCall("perSecond(\(s.name))")
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
            return out
        }
    }

    private static func nonNegativeDerivative(_ context: inout RenderContext, _ args: inout Arguments) throws(RenderError) -> [Series] {
        let list = try args.seriesList(&context)
        let maxValue = try args.optionalNumber("maxValue")
        return list.map { s in
            var out = s.renamedAsCall("nonNegativeDerivative(\(s.name))")
            out.values = derivative(s.values, maxValue: maxValue, nonNegative: true)
            return out
        }
    }

    private static func keepLastValue(_ context: inout RenderContext, _ args: inout Arguments) throws(RenderError) -> [Series] {
        let list = try args.seriesList(&context)
        let limit = try args.number("limit", default: .infinity)
        return list.map { s in
            var out = s.renamedAsCall("keepLastValue(\(s.name))")
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
            return out
        }
    }

    // MARK: - Names

    private static func alias(_ context: inout RenderContext, _ args: inout Arguments) throws(RenderError) -> [Series] {
        let list = try args.seriesList(&context)
        let name = try args.string("newName")
        return list.map { $0.renamed(name) }
    }

    private static func aliasByNode(_ context: inout RenderContext, _ args: inout Arguments) throws(RenderError) -> [Series] {
        let list = try args.seriesList(&context)
        let nodes = try args.integers()
        return list.map { s in
            let path = MetricPath(baseName(s.name))
            return s.renamed(nodes.compactMap { path[$0] }.joined(separator: "."))
        }
    }

    /// The first path in a name such as `maxSeries(scale(a.b.c,2),a.b.d)` (`a.b.c`), found as Graphite's
    /// aliasByNode finds it: the target at the name's start (`ExpressionParser.parseLeading`), then each
    /// call's first argument. Where that leads to no path (a number first, where Graphite fails), the name is
    /// cut at its last `(` and next `,` or `)`.
    static func baseName(_ name: String) -> String {
        var expression = ExpressionParser.parseLeading(name)
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
        let regex = try compiled(search, "aliasSub")
        let unescaped = pythonTemplate(replace)
        let deadline = threadCPUSeconds() + regexSeconds
        return try list.map { s throws(RenderError) in
            guard let name = regex.replacingMatches(in: s.name, template: unescaped, deadline: deadline) else {
                throw tooSlow(search, "aliasSub")
            }
            return s.renamed(name)
        }
    }

    /// How much CPU time one function's pattern (aliasSub, grep, exclude) may take over all its series. CPU time,
    /// not wall time: on a busy server a render waits for a CPU, and that wait must not fail a pattern that is
    /// merely slow.
    static let regexSeconds = 0.25

    /// A target's regular expression, or a 400 naming the function when it is none.
    static func compiled(_ pattern: String, _ function: String) throws(RenderError) -> TimedRegex {
        guard let regex = TimedRegex(pattern) else { throw RenderError("\(function): '\(pattern.prefix(100))' is not a regular expression") }
        return regex
    }

    /// The 400 for a pattern that ran past `regexSeconds`.
    static func tooSlow(_ pattern: String, _ function: String) -> RenderError {
        RenderError("\(function): '\(pattern.prefix(100))' took more than \(Int(regexSeconds * 1000)) ms on these names; simplify it")
    }

    private static func constantLine(_ context: inout RenderContext, _ args: inout Arguments) throws(RenderError) -> [Series] {
        [constantSeries(try args.number("value"), context)]
    }

    /// Graphite's constant line: three points, at the window's start, middle and end.
    static func constantSeries(_ value: Double, _ context: RenderContext) -> Series {
        let step = max(1, (context.until - context.from) / 2)
        let literal = pythonLiteral(value)
        return Series(name: literal, pathExpression: "constantLine(\(literal))", start: context.from, end: context.until, step: step, values: [value, value, value])
    }

    // MARK: - Lists

    private static func limit(_ context: inout RenderContext, _ args: inout Arguments) throws(RenderError) -> [Series] {
        let list = try args.seriesList(&context)
        return Array(list[..<pythonIndex(try args.integer("n"), count: list.count)])
    }

    /// Where Python's slice bound `i` falls in a list of `count`: a negative one counts from the end, and either is
    /// clamped to the list (`list[:-1]` is all but the last; `list[-0:]` is the whole list).
    static func pythonIndex(_ i: Int, count: Int) -> Int {
        i < 0 ? max(0, count + max(i, -count)) : min(i, count)
    }

    private static func sortByName(_ context: inout RenderContext, _ args: inout Arguments) throws(RenderError) -> [Series] {
        let list = try args.seriesList(&context)
        let natural = try args.bool("natural", default: false)
        let reverse = try args.bool("reverse", default: false)
        let keys = list.map { natural ? paddedName($0.name) : $0.name }
        // Python's sort: by code point, stable, and with `reverse` still stable (equal names keep their order).
        let order = keys.indices.sorted { a, b in reverse ? keys[b].precedesAsPython(keys[a]) : keys[a].precedesAsPython(keys[b]) }
        return order.map { list[$0] }
    }

    /// Graphite's key for a natural sort: every run of digits as its number written with at least ten digits
    /// (`server2` is `server0000000002`, `a007` is `a0000000007`), the rest as it is.
    static func paddedName(_ name: String) -> String {
        var out = ""
        var digits = ""
        func flush() {
            guard !digits.isEmpty else { return }
            let significant = digits.drop { $0 == "0" }
            let number = significant.isEmpty ? "0" : String(significant)
            out += String(repeating: "0", count: max(0, 10 - number.count)) + number
            digits = ""
        }
        for character in name {
            if character.isASCII && character.isNumber { digits.append(character) } else { flush(); out.append(character) }
        }
        flush()
        return out
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
    /// them, and n kept as `ranking` says, as its slices `[-n:]` and `[:n]` keep them (so n = 0 keeps all of the
    /// highest and none of the lowest, and a negative n drops from the other end). A series without a key (no
    /// value at all) sorts below every number, as None did in the Python 2 that Graphite was written for
    /// (graphite-render fails comparing it).
    static func rank(_ ranking: Ranking, _ key: @escaping Statistic) -> Function {
        { context, args throws(RenderError) in
            let list = try args.seriesList(&context)
            let n = try args.integer("n", default: 1)
            let ascending = list.enumerated().map { i, s in (index: i, series: s, key: key(s.values) ?? -.infinity) }
                .sorted { ($0.key, $0.index) < ($1.key, $1.index) }
            // -n would trap for the lowest Int, whose negation Python has and Swift does not.
            let top = ascending[pythonIndex(n == .min ? .max : -n, count: ascending.count)...]
            switch ranking {
            case .highest: return top.map(\.series)
            case .lowest: return ascending[..<pythonIndex(n, count: ascending.count)].map(\.series)
            case .highestFromTheTop:
                return top.sorted { $0.key > $1.key || ($0.key == $1.key && $0.index < $1.index) }.map(\.series)
            }
        }
    }

    private static func consolidateBy(_ context: inout RenderContext, _ args: inout Arguments) throws(RenderError) -> [Series] {
        let list = try args.seriesList(&context)
        let method = try args.string("consolidationFunc")
        guard Consolidation.names.contains(method) else { throw RenderError("consolidateBy: unknown function '\(method)'") }
        return list.map { $0.consolidatedBy(method) }
    }
}
