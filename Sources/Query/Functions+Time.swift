import Foundation

extension Functions {
    /// timeShift(seriesList, '1d', resetEnd, alignDST): the same series fetched over the range shifted back (or
    /// `+` forward). `alignDST` moves the range by the difference in daylight-saving time of Graphite's machine's
    /// own zone; Telewall's is UTC, which has none, so it changes nothing, as on a Graphite that runs on UTC.
    static func timeShift(_ context: inout RenderContext, _ args: inout Arguments) throws(RenderError) -> [Series] {
        let expression = try args.expression("seriesList")
        var shift = try args.string("timeShift")
        let resetEnd = try args.bool("resetEnd", default: true)
        _ = try args.bool("alignDST", default: false)
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
            var out = s.renamed("timeShift(\(s.name), \(shift))")
            // Without resetEnd the series keeps its own length from the unshifted start.
            out.end = resetEnd ? base.end : s.end - s.start + base.start
            out.start = base.start
            return out
        }
    }

    /// A moving-window function (movingAverage and its kin): the series fetched again from one window earlier,
    /// then `compute` given its values and the window's length in points, as graphite-render's do. The window is
    /// N points or an interval such as '5min'.
    static func moving(_ name: String, _ compute: @escaping @Sendable ([Double?], Int) -> [Double?]) -> Function {
        { context, args throws(RenderError) in
            let expression = try args.expression("seriesList")
            let window = try args.numberOrString("windowSize")
            let probe = try context.evaluate(expression)
            guard !probe.isEmpty else { return [] }
            var interval: Int?
            var count = 0
            switch window {
            case .string(let text): interval = try intervalSeconds(text, name)
            case .number(let n):
                guard n >= 0, n <= Double(maxWindowPoints) else {
                    throw RenderError("\(name): a window of points must be from 0 to \(maxWindowPoints)")
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
                let label = if case .string(let text) = window { "\"\(text)\"" } else { "\(count)" }
                var out = s.renamedAsCall("\(name)(\(s.name),\(label))")
                out.start = s.start + preview
                out.values = compute(s.values, interval.map { $0 / s.step } ?? count)
                return out
            }
        }
    }

    /// movingAverage: the average of the known values of each window, kept as a running sum; its first value is
    /// the first window's even when the series is no longer than the window.
    static let movingAverage = moving("movingAverage") { series, points in
        var values: [Double?] = []
        let initial = series.prefix(points).compactMap { $0 }
        var sum = initial.reduce(0, +)
        var known = initial.count
        values.append(known == 0 ? nil : sum / Double(known))
        if series.count > points + 1 {
            for n in 0..<(series.count - points - 1) {
                if let old = series[n] { sum -= old; known -= 1 }
                if let new = series[n + points] { sum += new; known += 1 }
                values.append(known == 0 ? nil : sum / Double(known))
            }
        }
        return values
    }

    /// movingSum: a running sum as graphite-render keeps it: null until the first window with a value, a number
    /// ever after (0 for a window of nulls only). A window of no points sums nothing: null, as movingMin's
    /// (graphite-render fails on it).
    static let movingSum = moving("movingSum") { series, points in
        guard points > 0 else { return Array(repeating: nil, count: series.count) }
        let initial = series.prefix(points).compactMap { $0 }
        var sum: Double? = initial.isEmpty ? nil : initial.reduce(0, +)
        var values = [sum]
        if series.count > points + 1 {
            for n in 0..<(series.count - points - 1) {
                if let old = series[n], let total = sum { sum = total - old }
                if let new = series[n + points] { sum = (sum ?? 0) + new }
                values.append(sum)
            }
        }
        return values
    }

    /// movingMin, movingMax and movingMedian: `reduce` of each window of `points` values before a point.
    static func movingWindows(_ name: String, _ reduce: @escaping Statistic) -> Function {
        moving(name) { series, points in
            series.count > points ? (points..<series.count).map { reduce(Array(series[($0 - points)..<$0])) } : []
        }
    }

    /// The median as graphite-render takes it: the known values sorted, the one at half their count rounded down.
    @Sendable static func median(_ window: [Double?]) -> Double? {
        let known = window.compactMap { $0 }.sorted()
        return known.isEmpty ? nil : known[known.count / 2]
    }

    /// hitcount's alignToInterval: each series again from the aligned start (matched by position), its end one
    /// interval past the whole intervals of its first fetch.
    private static func aligned(_ list: [Series], of expression: TargetExpression, to interval: Int,
                                _ context: inout RenderContext) throws(RenderError) -> [Series] {
        var wider = context
        wider.from = startOfUnit(containing: context.from, for: interval, in: context.timeZone)
        let again = try wider.evaluate(expression)
        context.touched = wider.touched
        return zip(list, again).map { s, fetched in
            var out = fetched
            out.name = s.name
            out.pathExpression = s.pathExpression
            out.end = fetched.start + (s.end - s.start) / interval * interval + interval
            return out
        }
    }

    /// The start of the day (intervals of a day or more), hour or minute that `t` falls in on `zone`'s clock;
    /// `t` itself for shorter intervals.
    static func startOfUnit(containing t: Int, for interval: Int, in zone: TimeZone) -> Int {
        let units: Set<Calendar.Component>
        switch interval {
        case 86_400...: units = [.year, .month, .day]
        case 3_600...: units = [.year, .month, .day, .hour]
        case 60...: units = [.year, .month, .day, .hour, .minute]
        default: return t
        }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        let date = Date(timeIntervalSince1970: Double(t))
        return calendar.date(from: calendar.dateComponents(units, from: date)).map { Int($0.timeIntervalSince1970) } ?? t
    }

    /// The longest movingAverage window given in points, far past any screen's width; with steps of at most
    /// TimeSpec's range the window stays an `Int`.
    static let maxWindowPoints = 1_000_000

    /// The most buckets one summarize or hitcount may make over all its series: an interval far below the
    /// series' step over a long range (`'1s'` over a year of 10-minute points) would spell millions per series.
    static let maxBuckets = 10_000_000

    static func checkBuckets(_ list: [Series], interval: Int, _ function: String, _ text: String) throws(RenderError) {
        let total = list.reduce(0) { $0 + ($1.end - $1.start) / interval + 1 }
        guard total <= maxBuckets else {
            throw RenderError("\(function): '\(text)' buckets make \(total) points over this range; the most is \(maxBuckets)")
        }
    }

    /// An interval argument such as `'1h'` or `'5min'`, in seconds.
    static func intervalSeconds(_ text: String, _ function: String) throws(RenderError) -> Int {
        guard let seconds = TimeSpec.parse(text.hasPrefix("-") || text.hasPrefix("+") ? text : "+" + text, now: 0).map(abs), seconds > 0 else {
            throw RenderError("\(function): '\(text)' is not an interval")
        }
        return seconds
    }

    /// summarize(seriesList, '1h', func='sum', alignToFrom=false): values bucketed by interval, as graphite-render.
    static func summarize(_ context: inout RenderContext, _ args: inout Arguments) throws(RenderError) -> [Series] {
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

    /// hitcount(seriesList, '1h', alignToInterval): rates turned into counts per interval bucket, aligned to the
    /// end, as graphite-render; with `alignToInterval`, the series are fetched again from the start of the day,
    /// hour or minute (on the request's clock) that `from` falls in, for intervals of at least that long, and end
    /// one interval after the last whole interval of the range.
    static func hitcount(_ context: inout RenderContext, _ args: inout Arguments) throws(RenderError) -> [Series] {
        let expression = try args.expression("seriesList")
        let text = try args.string("intervalString")
        let interval = try intervalSeconds(text, "hitcount")
        let alignToInterval = try args.bool("alignToInterval", default: false)
        var list = try context.evaluate(expression)
        if alignToInterval { list = try aligned(list, of: expression, to: interval, &context) }
        try checkBuckets(list, interval: interval, "hitcount", text)
        return list.map { s in
            let bucketCount = Int((Double(s.end - s.start) / Double(interval)).rounded(.up))
            var buckets = [[Double]](repeating: [], count: max(0, bucketCount))
            let newStart = s.end - bucketCount * interval
            for (i, v) in s.values.enumerated() {
                guard let value = v else { continue }
                let startTime = s.start + i * s.step
                let (startBucket, startMod) = (floorDiv(startTime - newStart, interval), floorMod(startTime - newStart, interval))
                // A value from the series' end on (constantLine's last, or one a function left past the end) falls
                // in no bucket; Graphite fails on it (an IndexError).
                guard startBucket < bucketCount else { continue }
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
            let name = "hitcount(\(s.name), \"\(text)\"\(alignToInterval ? ", true" : ""))"
            return Series(name: name, start: newStart, end: s.end, step: interval, values: buckets.map { $0.isEmpty ? nil : $0.reduce(0, +) })
        }
    }
}
