extension Functions {
    /// The functions beyond SPEC 5.1 that combine series in groups, as graphite-render computes them.
    static let groupTable: [String: Function] = [
        "countSeries": countSeries,
        "groupByNodes": groupByNodes,
        "divideSeriesLists": divideSeriesLists,
        "sumSeriesWithWildcards": withWildcards(pairwise: true),
        "averageSeriesWithWildcards": withWildcards(pairwise: false),
    ]

    /// asPercent(seriesList, total=None): each series as a percentage of the total (the sum of the list, one
    /// series, or a number), as graphite-render computes it.
    static func asPercent(_ context: inout RenderContext, _ args: inout Arguments) throws(RenderError) -> [Series] {
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
            var out = s.renamedAsCall("asPercent(\(s.name),\(totalText))")
            out.values = s.values.indices.map { i in
                guard let v = s.values[i], i < totalValues.count, let t = totalValues[i], t != 0 else { return nil }
                return v / t * 100
            }
            return out
        }
    }

    /// groupByNode(seriesList, nodeNum, callback): series grouped by one node of their name, each group reduced.
    static func groupByNode(_ context: inout RenderContext, _ args: inout Arguments) throws(RenderError) -> [Series] {
        let list = try args.seriesList(&context)
        let node = try args.integer("nodeNum")
        let callback = try args.string("callback", default: "sumSeries")
        return try grouped(list, byNodes: [node], callback, "groupByNode")
    }

    /// groupByNodes(seriesList, callback, *nodes): series grouped by several nodes of their name (the key those
    /// nodes joined by dots), each group reduced.
    static func groupByNodes(_ context: inout RenderContext, _ args: inout Arguments) throws(RenderError) -> [Series] {
        let list = try args.seriesList(&context)
        let callback = try args.string("callback")
        return try grouped(list, byNodes: try args.integers(), callback, "groupByNodes")
    }

    /// The groups by the nodes' key, each reduced by `callback` and named by its key.
    private static func grouped(_ list: [Series], byNodes nodes: [Int], _ callback: String, _ name: String) throws(RenderError) -> [Series] {
        guard let reducer = reducers[callback] else { throw RenderError("\(name): unsupported callback '\(callback)'") }
        let groups = try inOrder(list) { s throws(RenderError) in
            let path = MetricPath(s.name)
            var parts: [String] = []
            for node in nodes {
                guard let part = path[node] else { throw RenderError("\(name): node \(node) is out of range for \(s.name)") }
                parts.append(String(part))
            }
            return parts.joined(separator: ".")
        }
        return groups.compactMap { key, group in combined(callback, group, reducer)?.renamed(key) }
    }

    /// The series grouped by `key`, the groups in the order their first series came, as Graphite keeps them.
    private static func inOrder(_ list: [Series], key: (Series) throws(RenderError) -> String) throws(RenderError) -> [(key: String, series: [Series])] {
        var keys: [String] = []
        var groups: [String: [Series]] = [:]
        for s in list {
            let key = try key(s)
            if groups[key] == nil { keys.append(key) }
            groups[key, default: []].append(s)
        }
        return keys.map { ($0, groups[$0]!) }
    }

    /// divideSeriesLists(dividendSeriesList, divisorSeriesList): the series of the two lists divided pair by
    /// pair, each pair as long as its shorter series (Python's zip), named as divideSeries names them.
    private static func divideSeriesLists(_ context: inout RenderContext, _ args: inout Arguments) throws(RenderError) -> [Series] {
        let dividends = try args.seriesList(&context, "dividendSeriesList")
        let divisors = try args.seriesList(&context, "divisorSeriesList")
        guard dividends.count == divisors.count else {
            throw RenderError("divideSeriesLists: the lists must be as long, not \(dividends.count) and \(divisors.count) series")
        }
        return zip(dividends, divisors).map { quotient($0, $1, rows: .shorter) }
    }

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
            let groups = try inOrder(list) { s in
                s.name.split(separator: ".", omittingEmptySubsequences: false).enumerated()
                    .filter { !positions.contains($0.offset) }.map { String($0.element) }.joined(separator: ".")
            }
            return groups.compactMap { key, group in
                let combinedGroup = pairwise
                    ? group.dropFirst().reduce(group[0]) { total, s in combined("sumSeries", [s, total], .sum) ?? total }
                    : combined("averageSeries", group, .average)
                return combinedGroup?.renamed(key)
            }
        }
    }
}
