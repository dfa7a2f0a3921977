import Foundation
import Posix

/// Graphite functions beyond SPEC 5.1 that Grafana dashboards use often: filters by name or by a statistic,
/// names cut from paths, wildcard aggregates and small per-point transforms, each as graphite-render computes it.
extension Functions {
    static let filterTable: [String: Function] = [
        "exclude": byName("exclude", keep: false),
        "grep": byName("grep", keep: true),
        "removeEmptySeries": { context, args throws(RenderError) in
            try args.seriesList(&context).filter { $0.values.contains { $0 != nil } }
        },
        "removeAboveValue": removeValues("removeAboveValue") { $0 > $1 },
        "removeBelowValue": removeValues("removeBelowValue") { $0 < $1 },
        "currentAbove": byStatistic(last, keepsUnknown: false) { $0 >= $1 },
        "currentBelow": byStatistic(last, keepsUnknown: true) { $0 <= $1 },
        "averageAbove": byStatistic(average, keepsUnknown: false) { $0 >= $1 },
        "averageBelow": byStatistic(average, keepsUnknown: true) { $0 <= $1 },
        "maximumAbove": byStatistic(maximum, keepsUnknown: false) { $0 > $1 },
        "maximumBelow": byStatistic(maximum, keepsUnknown: true) { $0 <= $1 },
        "minimumAbove": byStatistic(minimum, keepsUnknown: false) { $0 > $1 },
        "minimumBelow": byStatistic(minimum, keepsUnknown: true) { $0 <= $1 },
        "highestAverage": rank(.highest, average),
        "lowestAverage": rank(.lowest, average),
        "aliasByMetric": { context, args throws(RenderError) in
            try args.seriesList(&context).map { $0.renamed(substring($0.name, from: -1, to: 0)) }
        },
        "substr": substr,
        "countSeries": countSeries,
        "groupByNodes": groupByNodes,
        "sumSeriesWithWildcards": withWildcards(pairwise: true),
        "averageSeriesWithWildcards": withWildcards(pairwise: false),
        "offsetToZero": transform("offsetToZero", keepsPath: true) { s in
            guard let lowest = minimum(s) else { return s.values }
            return s.values.map { $0.map { $0 - lowest } }
        },
        "invert": transform("invert", keepsPath: true) { s in s.values.map { pythonPow($0, -1) } },
        "squareRoot": transform("squareRoot", keepsPath: true) { s in s.values.map { pythonPow($0, 0.5) } },
        "isNonNull": transform("isNonNull") { s in s.values.map { $0 == nil ? 0 : 1 } },
        "delay": delay,
        "changed": transform("changed") { s in
            var previous: Double?
            return s.values.map { value in
                defer { previous = value }
                guard let previous, let value else { return 0 }
                return previous != value ? 1 : 0
            }
        },
        "pow": pow,
        "scaleToSeconds": scaleToSeconds,
        "cumulative": { context, args throws(RenderError) in
            try args.seriesList(&context).map { $0.consolidatedBy("sum") }
        },
        "fallbackSeries": { context, args throws(RenderError) in
            let list = try args.seriesList(&context)
            let fallback = try args.seriesList(&context, "fallback")
            return list.isEmpty ? fallback : list
        },
        // Options of Graphite's PNG graphs, which JSON has no place for: the series pass through, renamed where
        // Graphite renames them.
        "color": graphOption("theColor") { s, _ in s },
        "alpha": graphOption("alpha") { s, _ in s },
        "lineWidth": graphOption("width") { s, _ in s },
        "dashed": graphOption("dashLength", default: .number(5)) { s, length in
            guard case .number(let n) = length else { return s }
            return s.renamed("dashed(\(s.name), \(pythonG(n)))")
        },
        "secondYAxis": { context, args throws(RenderError) in
            try args.seriesList(&context).map { $0.renamed("secondYAxis(\($0.name))") }
        },
    ]

    // MARK: - Statistics as graphite-render's safe functions: over the known values, nil when there is none

    @Sendable static func last(_ s: Series) -> Double? { s.values.last { $0 != nil } ?? nil }
    @Sendable static func maximum(_ s: Series) -> Double? { s.values.compactMap { $0 }.max() }
    @Sendable static func minimum(_ s: Series) -> Double? { s.values.compactMap { $0 }.min() }

    /// Python's `sum` of the known values (from 0, in order) over their count.
    @Sendable static func average(_ s: Series) -> Double? {
        let known = s.values.compactMap { $0 }
        return known.isEmpty ? nil : known.reduce(0, +) / Double(known.count)
    }

    /// Python's `math.pow` as graphite-render's safePow uses it: nil for a null, and for a result that is not
    /// finite from finite arguments (Python raises there: `pow(0, -1)`, `pow(-1, 0.5)`, an overflow).
    static func pythonPow(_ value: Double?, _ exponent: Double) -> Double? {
        guard let value else { return nil }
        let result = Foundation.pow(value, exponent)
        return !result.isFinite && value.isFinite && exponent.isFinite ? nil : result
    }

    // MARK: - Filters

    /// grep and exclude: the series whose name the regular expression finds something in (or not).
    private static func byName(_ name: String, keep: Bool) -> Function {
        { context, args throws(RenderError) in
            let list = try args.seriesList(&context)
            let pattern = try args.string("pattern")
            guard let regex = TimedRegex(pattern) else { throw RenderError("\(name): '\(pattern.prefix(100))' is not a regular expression") }
            let deadline = threadCPUSeconds() + regexSeconds
            var kept: [Series] = []
            for s in list {
                guard let found = regex.finds(in: s.name, deadline: deadline) else {
                    throw RenderError("\(name): '\(pattern.prefix(100))' took more than \(Int(regexSeconds * 1000)) ms on these names; simplify it")
                }
                if found == keep { kept.append(s) }
            }
            return kept
        }
    }

    /// removeAboveValue and removeBelowValue: the values past `n` become null; named `name(series, n)` with
    /// the space Graphite writes there.
    private static func removeValues(_ name: String, _ isPast: @escaping @Sendable (Double, Double) -> Bool) -> Function {
        { context, args throws(RenderError) in
            let list = try args.seriesList(&context)
            let n = try args.number("n")
            return list.map { s in
                var out = s.renamedAsCall("\(name)(\(s.name), \(pythonG(n)))")
                out.values = s.values.map { v in v.flatMap { isPast($0, n) ? nil : $0 } }
                return out
            }
        }
    }

    /// The series whose statistic passes the comparison with `n`; a series without one (no value) is kept by
    /// the Below functions and left out by the Above ones, as in Graphite.
    private static func byStatistic(_ statistic: @escaping @Sendable (Series) -> Double?, keepsUnknown: Bool,
                                    _ passes: @escaping @Sendable (Double, Double) -> Bool) -> Function {
        { context, args throws(RenderError) in
            let list = try args.seriesList(&context)
            let n = try args.number("n")
            return list.filter { s in statistic(s).map { passes($0, n) } ?? keepsUnknown }
        }
    }

    // MARK: - Names

    private static func substr(_ context: inout RenderContext, _ args: inout Arguments) throws(RenderError) -> [Series] {
        let list = try args.seriesList(&context)
        let start = try args.integer("start", default: 0)
        let stop = try args.integer("stop", default: 0)
        return list.map { $0.renamed(substring($0.name, from: start, to: stop)) }
    }

    /// Graphite's substr of a name: the text between its last `(` and its first `)` (or the end) split at dots,
    /// the nodes `start..<stop` kept as a Python slice (`stop` 0 for to the end), joined, then cut at a comma.
    static func substring(_ name: String, from start: Int, to stop: Int) -> String {
        let text = Array(name)
        let left = (text.lastIndex(of: "(") ?? -1) + 1
        let right = text.firstIndex(of: ")") ?? text.count
        let inner = left < right ? String(text[left..<right]) : ""
        let nodes = inner.split(separator: ".", omittingEmptySubsequences: false)
        let lower = pythonIndex(start, count: nodes.count)
        let upper = stop == 0 ? nodes.count : pythonIndex(stop, count: nodes.count)
        let joined = lower < upper ? nodes[lower..<upper].joined(separator: ".") : ""
        return String(joined.prefix { $0 != "," })
    }

    // MARK: - Combining

    /// countSeries(*seriesLists): how many series there are, at every point of their common span; with none, a
    /// constant line of 0.
    private static func countSeries(_ context: inout RenderContext, _ args: inout Arguments) throws(RenderError) -> [Series] {
        let list = try args.remainingSeries(&context)
        guard let count = combined("countSeries", list, { Double($0.count) }) else {
            var zero = constantSeries(0, context)
            zero.pathExpression = "countSeries()"
            return [zero]
        }
        return [count]
    }

    /// sumSeriesWithWildcards and averageSeriesWithWildcards: the series grouped by their names without the
    /// nodes at `positions`, each group combined and named by what is left. graphite-render sums a group two
    /// at a time, the new series first (`pairwise`), and averages it at once.
    private static func withWildcards(pairwise: Bool) -> Function {
        { context, args throws(RenderError) in
            let list = try args.seriesList(&context)
            let positions = Set(try args.integers())
            var keys: [String] = []
            var groups: [String: [Series]] = [:]
            for s in list {
                let key = s.name.split(separator: ".", omittingEmptySubsequences: false).enumerated()
                    .filter { !positions.contains($0.offset) }.map { String($0.element) }.joined(separator: ".")
                if groups[key] == nil { keys.append(key) }
                groups[key, default: []].append(s)
            }
            return keys.compactMap { key in
                let group = groups[key]!
                let combinedGroup = pairwise
                    ? group.dropFirst().reduce(group[0]) { total, s in combined("sumSeries", [s, total], .sum) ?? total }
                    : combined("averageSeries", group, .average)
                return combinedGroup.map { var out = $0; out.name = key; return out }
            }
        }
    }

    // MARK: - Per point

    /// pow(seriesList, factor): each value to the power `factor`, as Python's math.pow (`pythonPow`).
    private static func pow(_ context: inout RenderContext, _ args: inout Arguments) throws(RenderError) -> [Series] {
        let list = try args.seriesList(&context)
        let factor = try args.number("factor")
        return list.map { s in
            var out = s.renamedAsCall("pow(\(s.name),\(pythonG(factor)))")
            out.values = s.values.map { pythonPow($0, factor) }
            return out
        }
    }

    /// scaleToSeconds(seriesList, seconds): each value times `seconds` over the series' step (a rate per step as
    /// a rate per `seconds`); named with the seconds as a whole number, as Graphite's `%d` writes them.
    private static func scaleToSeconds(_ context: inout RenderContext, _ args: inout Arguments) throws(RenderError) -> [Series] {
        let list = try args.seriesList(&context)
        let seconds = try args.number("seconds")
        guard seconds.isFinite && abs(seconds) < 1e18 else { throw RenderError("scaleToSeconds: seconds must be a finite number") }
        return list.map { s in
            var out = s.renamedAsCall("scaleToSeconds(\(s.name),\(Int(seconds)))")
            let factor = seconds / Double(s.step)
            out.values = s.values.map { $0.map { $0 * factor } }
            return out
        }
    }

    /// delay(seriesList, steps): the values moved `steps` points later (earlier when negative), nulls where
    /// they leave room, as graphite-web 1.1 does.
    private static func delay(_ context: inout RenderContext, _ args: inout Arguments) throws(RenderError) -> [Series] {
        let list = try args.seriesList(&context)
        let steps = try args.integer("steps")
        return list.map { s in
            var out = s.renamedAsCall("delay(\(s.name),\(steps))")
            let shift = steps == .min ? s.values.count : min(s.values.count, abs(steps))
            let gap = [Double?](repeating: nil, count: shift)
            out.values = steps >= 0 ? gap + s.values.dropLast(shift) : s.values.dropFirst(shift) + gap
            return out
        }
    }
}

extension Functions {
    /// A graph option taking one argument (`default` when it is optional): the argument is checked to be there
    /// and given to `apply`, which may rename the series.
    private static func graphOption(_ parameter: String, default fallback: TargetExpression? = nil,
                                    _ apply: @escaping @Sendable (Series, TargetExpression) -> Series) -> Function {
        { context, args throws(RenderError) in
            let list = try args.seriesList(&context)
            let value: TargetExpression
            if let fallback { value = (try? args.expression(parameter)) ?? fallback } else { value = try args.expression(parameter) }
            return list.map { apply($0, value) }
        }
    }
}

extension Series {
    /// The series under another name, its path expression kept (what Graphite's aliases change).
    func renamed(_ name: String) -> Series {
        var out = self
        out.name = name
        return out
    }

    /// The series as `consolidateBy` leaves it: consolidated by `method` under `maxDataPoints`, named for the call.
    func consolidatedBy(_ method: String) -> Series {
        var out = renamedAsCall("consolidateBy(\(name),\"\(method)\")")
        out.consolidation = method
        return out
    }

    /// The series named for a function call around it, the name its path expression too.
    func renamedAsCall(_ name: String) -> Series {
        var out = self
        out.name = name
        out.pathExpression = name
        return out
    }
}
