import Foundation
import Posix

/// Graphite functions beyond SPEC 5.1 that keep some series and leave out others, by name or by a statistic, or
/// make values past a bound null, as graphite-render computes them.
extension Functions {
    static let filterTable: [String: Function] = [
        "exclude": byName("exclude", keep: false),
        "grep": byName("grep", keep: true),
        "removeEmptySeries": { context, args throws(RenderError) in
            try args.seriesList(&context).filter { $0.values.contains { $0 != nil } }
        },
        "removeAboveValue": removeValues("removeAboveValue") { $0 > $1 },
        "removeBelowValue": removeValues("removeBelowValue") { $0 < $1 },
        "removeAbovePercentile": removePercentile("removeAbovePercentile") { $0 > $1 },
        "removeBelowPercentile": removePercentile("removeBelowPercentile") { $0 < $1 },
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

    /// removeAbovePercentile and removeBelowPercentile: the values past the series' own n-th percentile
    /// (`percentile`, nPercentile's) become null; a series with no value keeps its values and takes the name.
    private static func removePercentile(_ name: String, _ isPast: @escaping @Sendable (Double, Double) -> Bool) -> Function {
        { context, args throws(RenderError) in
            let list = try args.seriesList(&context)
            let n = try args.number("n")
            guard n > 0 && n <= 100 else { throw RenderError("\(name): n must be above 0 and at most 100") }
            return list.map { s in
                var out = s.renamedAsCall("\(name)(\(s.name), \(pythonG(n)))")
                if let bound = percentile(s.values, n) {
                    out.values = s.values.map { v in v.flatMap { isPast($0, bound) ? nil : $0 } }
                }
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
}
