import Foundation

/// Graphite functions beyond SPEC 5.1 that compute a statistic across series or over a series: standard
/// deviation, range and percentiles, moving windows, and the sorts by a statistic.
extension Functions {
    /// A statistic of a series' values or of a row across series.
    typealias Statistic = @Sendable ([Double?]) -> Double?

    static let statisticsTable: [String: Function] = [
        "stddevSeries": fold("stddevSeries", standardDeviation),
        "rangeOfSeries": fold("rangeOfSeries") { row in
            guard let top = maximum(row), let bottom = minimum(row) else { return nil }
            return top - bottom
        },
        "percentileOfSeries": percentileOfSeries,
        "aggregateLine": aggregateLine,
        "nPercentile": nPercentile,
        "sortByTotal": sortedBy(descending: true, total),
        "sortByMaxima": sortedBy(descending: true, maximum),
        "movingSum": movingSum,
        "movingMin": movingWindows("movingMin", minimum),
        "movingMax": movingWindows("movingMax", maximum),
        "movingMedian": movingWindows("movingMedian", median),
        "sortByMinima": { context, args throws(RenderError) in
            // graphite-web 1.1: only the series whose maximum is above 0, by their minimum, lowest first.
            let list = try args.seriesList(&context).filter { (maximum($0.values) ?? 0) > 0 }
            return sortStably(list, descending: false, key: minimum)
        },
    ]

    // MARK: - graphite-render's safe functions: over the known values, nil when there is none

    @Sendable static func last(_ values: [Double?]) -> Double? { values.last { $0 != nil } ?? nil }
    @Sendable static func maximum(_ values: [Double?]) -> Double? { values.compactMap { $0 }.max() }
    @Sendable static func minimum(_ values: [Double?]) -> Double? { values.compactMap { $0 }.min() }

    /// Python's `sum` of the known values, from 0 and in order.
    @Sendable static func total(_ values: [Double?]) -> Double? {
        let known = values.compactMap { $0 }
        return known.isEmpty ? nil : known.reduce(0, +)
    }

    /// The total over the count of the known values.
    @Sendable static func average(_ values: [Double?]) -> Double? {
        total(values).map { $0 / Double(values.count { $0 != nil }) }
    }

    /// safeStdDev: the population standard deviation of the known values, from their mean.
    @Sendable static func standardDeviation(_ values: [Double?]) -> Double? {
        guard let mean = average(values) else { return nil }
        let known = values.compactMap { $0 }
        return (known.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(known.count)).squareRoot()
    }

    /// `n` when it is a percentage a percentile can take (above 0, at most 100): Graphite fails past 100 and
    /// counts from the end below 0.
    static func percent(_ n: Double, _ function: String) throws(RenderError) -> Double {
        guard n > 0 && n <= 100 else { throw RenderError("\(function): n must be above 0 and at most 100") }
        return n
    }

    /// Graphite's _getPercentile for `n` above 0 and at most 100 (Graphite fails past 100, and indexes from the
    /// end below 0): the value at the nearest rank n/100 * (count + 1) of the known values sorted, or, with
    /// `interpolate`, between that rank and the next.
    static func percentile(_ values: [Double?], _ n: Double, interpolate: Bool = false) -> Double? {
        let sorted = values.compactMap { $0 }.sorted()
        guard !sorted.isEmpty else { return nil }
        let fractionalRank = n / 100 * Double(sorted.count + 1)
        var rank = Int(fractionalRank)
        let rankFraction = fractionalRank - Double(rank)
        if !interpolate { rank += Int(rankFraction.rounded(.up)) }
        var value = rank == 0 ? sorted[0] : sorted[min(rank, sorted.count) - 1]
        if interpolate && rank < sorted.count {
            value += rankFraction * (sorted[rank] - value)
        }
        return value
    }

    /// percentileOfSeries(seriesList, n, interpolate): the n-th percentile across the series at each point,
    /// named after the first series' path expression, as Graphite names it.
    private static func percentileOfSeries(_ context: inout RenderContext, _ args: inout Arguments) throws(RenderError) -> [Series] {
        let list = try args.seriesList(&context)
        let n = try percent(args.number("n"), "percentileOfSeries")
        let interpolate = try args.bool("interpolate", default: false)
        guard let first = list.first, var out = combined("percentileOfSeries", list, { percentile($0, n, interpolate: interpolate) }) else { return [] }
        out = out.renamedAsCall("percentileOfSeries(\(first.pathExpression),\(pythonG(n)))")
        return [out]
    }

    /// aggregateLine(seriesList, func='avg'): each series as a constant line at its average, minimum or maximum
    /// (null when it has no value), named with the value as Graphite's `%g` writes it.
    private static func aggregateLine(_ context: inout RenderContext, _ args: inout Arguments) throws(RenderError) -> [Series] {
        let list = try args.seriesList(&context)
        let method = try args.string("func", default: "avg")
        let statistics: [String: Statistic] = ["avg": average, "min": minimum, "max": maximum]
        guard let statistic = statistics[method] else { throw RenderError("aggregateLine: func must be avg, min or max, not '\(method.prefix(100))'") }
        return list.map { s in
            let value = statistic(s.values)
            var line = constantSeries(0, context)
            line.values = [value, value, value]
            return line.renamedAsCall("aggregateLine(\(s.name), \(value.map(pythonG) ?? "None"))")
        }
    }

    /// nPercentile(seriesList, n): each series as a line at its n-th percentile; a series with no value is left
    /// out. As Graphite, the line has one point fewer than the series' span has timestamps.
    private static func nPercentile(_ context: inout RenderContext, _ args: inout Arguments) throws(RenderError) -> [Series] {
        let list = try args.seriesList(&context)
        let n = try percent(args.number("n"), "nPercentile")
        return list.compactMap { s in
            guard let value = percentile(s.values, n) else { return nil }
            var out = s.renamedAsCall("nPercentile(\(s.name), \(pythonG(n)))")
            out.values = Array(repeating: value, count: max(0, (s.end - s.start) / s.step))
            return out
        }
    }

    /// The series sorted by a statistic, stably (Python's sort, also when reversed); a series without one
    /// sorts below every number, as graphite-web's keyFunc puts it.
    private static func sortedBy(descending: Bool, _ key: @escaping Statistic) -> Function {
        { context, args throws(RenderError) in sortStably(try args.seriesList(&context), descending: descending, key: key) }
    }

    private static func sortStably(_ list: [Series], descending: Bool, key: Statistic) -> [Series] {
        let keys = list.map { key($0.values) ?? -.infinity }
        return list.indices.sorted { a, b in
            descending ? (keys[a] > keys[b] || (keys[a] == keys[b] && a < b)) : (keys[a] < keys[b] || (keys[a] == keys[b] && a < b))
        }.map { list[$0] }
    }
}
