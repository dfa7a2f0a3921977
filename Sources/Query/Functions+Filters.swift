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
        "removeAboveValue": removeValues("removeAboveValue", pastPercentile: false) { $0 > $1 },
        "removeBelowValue": removeValues("removeBelowValue", pastPercentile: false) { $0 < $1 },
        "removeAbovePercentile": removeValues("removeAbovePercentile", pastPercentile: true) { $0 > $1 },
        "removeBelowPercentile": removeValues("removeBelowPercentile", pastPercentile: true) { $0 < $1 },
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

    /// grep and exclude: the series whose name the regular expression finds something in (or not).
    private static func byName(_ name: String, keep: Bool) -> Function {
        { context, args throws(RenderError) in
            let list = try args.seriesList(&context)
            let pattern = try args.string("pattern")
            let regex = try compiled(pattern, name)
            let deadline = threadCPUSeconds() + regexSeconds
            var kept: [Series] = []
            for s in list {
                guard let found = regex.finds(in: s.name, deadline: deadline) else { throw tooSlow(pattern, name) }
                if found == keep { kept.append(s) }
            }
            return kept
        }
    }

    /// removeAboveValue, removeBelowValue and their Percentile kin: the values past `n`, or past the series' own
    /// n-th percentile (nPercentile's), become null; named `name(series, n)` with the space Graphite writes there.
    /// A series with no value has no percentile: it keeps its values and takes the name.
    private static func removeValues(_ name: String, pastPercentile: Bool, _ isPast: @escaping @Sendable (Double, Double) -> Bool) -> Function {
        { context, args throws(RenderError) in
            let list = try args.seriesList(&context)
            let n = pastPercentile ? try percent(args.number("n"), name) : try args.number("n")
            return list.map { s in
                var out = s.renamedAsCall("\(name)(\(s.name), \(pythonG(n)))")
                if let bound = pastPercentile ? percentile(s.values, n) : n {
                    out.values = s.values.map { v in v.flatMap { isPast($0, bound) ? nil : $0 } }
                }
                return out
            }
        }
    }

    /// The series whose statistic passes the comparison with `n`; a series without one (no value) is kept by
    /// the Below functions and left out by the Above ones, as in Graphite.
    private static func byStatistic(_ statistic: @escaping Statistic, keepsUnknown: Bool,
                                    _ passes: @escaping @Sendable (Double, Double) -> Bool) -> Function {
        { context, args throws(RenderError) in
            let list = try args.seriesList(&context)
            let n = try args.number("n")
            return list.filter { s in statistic(s.values).map { passes($0, n) } ?? keepsUnknown }
        }
    }
}
