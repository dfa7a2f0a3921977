/// A series as Graphite's render functions see it: values at `start + i * step`.
public struct Series: Sendable, Equatable {
    public var name: String
    /// The path expression it came from (what `aliasByNode` and `groupByNode` read).
    public var pathExpression: String
    public var start: Int
    public var end: Int
    public var step: Int
    public var values: [Double?]
    /// How `maxDataPoints` consolidates it (`consolidateBy`).
    public var consolidation = "average"

    public init(name: String, pathExpression: String? = nil, start: Int, end: Int, step: Int, values: [Double?]) {
        self.name = name
        self.pathExpression = pathExpression ?? name
        self.start = start
        self.end = end
        self.step = step
        self.values = values
    }

    /// How many of its values Graphite's render JSON writes: it pairs them with the timestamps
    /// `range(start, end + step, step)` through Python's `zip`, so values a function left past `end` (as
    /// `movingAverage` does over series of different steps) are not written.
    public var writtenCount: Int { min(values.count, rangeCount(from: start, below: end + step, by: step)) }

    /// `maxDataPoints` as graphite-render applies it (its `prune_datapoints`): over the request's whole span
    /// (`start`..`end` of all series), consolidated with the series' `consolidateBy` function after nudging the
    /// start to a whole consolidated step; the first values nudged past are dropped (all but one, as it does).
    public func limited(to maxPoints: Int, start: Int, end: Int) -> Series {
        let points = (end - start) / step
        guard maxPoints < points else { return self }
        let perPoint = (points + maxPoints - 1) / maxPoints
        let secondsPerPoint = perPoint * step
        let nudge = secondsPerPoint + floorMod(self.start, step) - floorMod(self.start, secondsPerPoint)
        var out = self
        out.start += nudge
        let lose = nudge / step - 1
        // Python's `del values[:n]` with n = -1 keeps only the last value.
        out.values = lose >= 0 ? Array(values.dropFirst(lose)) : Array(values.suffix(values.isEmpty ? 0 : 1))
        out = out.consolidated(by: perPoint)
        // Its timestamps run to the series' own end at the original step, then go on at the consolidated one.
        let written = rangeCount(from: out.start, below: self.end + step, by: secondsPerPoint)
        if out.values.count > written { out.values.removeLast(out.values.count - written) }
        return out
    }

    /// Consolidates `perPoint` values into one, as Graphite's TimeSeries.consolidate does. The end stays where it
    /// was, as there: a last, partial group does not move it (so `normalizedSpan` ends where Graphite's does).
    func consolidated(by perPoint: Int, method: String? = nil) -> Series {
        guard perPoint > 1 else { return self }
        var out = self
        out.values = stride(from: 0, to: values.count, by: perPoint).map { i in
            Consolidation.apply(method ?? consolidation, values[i..<min(i + perPoint, values.count)])
        }
        out.step = step * perPoint
        return out
    }
}

enum Consolidation {
    static let names = ["average", "avg", "sum", "min", "max", "first", "last"]

    /// One value for a chunk, nulls left out; nil when all are null. One pass, no allocation.
    static func apply(_ method: String, _ chunk: ArraySlice<Double?>) -> Double? {
        var count = 0
        var sum = 0.0
        var low = 0.0, high = 0.0, first = 0.0, last = 0.0
        for case let v? in chunk {
            if count == 0 {
                (low, high, first) = (v, v, v)
            } else {
                if v < low { low = v }
                if v > high { high = v }
            }
            last = v
            sum += v
            count += 1
        }
        guard count > 0 else { return nil }
        switch method {
        case "sum": return sum
        case "min": return low
        case "max": return high
        case "first": return first
        case "last": return last
        default: return sum / Double(count)
        }
    }
}

/// Graphite's `normalize`: every series consolidated to the least common multiple of their steps.
func normalize(_ list: [Series]) -> [Series] {
    guard let first = list.first else { return [] }
    let step = list.dropFirst().reduce(first.step) { lcm($0, $1.step) }
    return list.map { $0.consolidated(by: step / $0.step) }
}

/// Where Graphite's `normalize` puts a normalized (non-empty) list: from the earliest start to the latest end, the
/// end moved back to a whole number of the common step from the start.
func normalizedSpan(_ list: [Series]) -> (start: Int, end: Int) {
    let start = list.reduce(Int.max) { min($0, $1.start) }, end = list.reduce(Int.min) { max($0, $1.end) }
    return (start, end - floorMod(end - start, list[0].step))
}

func lcm(_ a: Int, _ b: Int) -> Int {
    func gcd(_ a: Int, _ b: Int) -> Int { b == 0 ? a : gcd(b, a % b) }
    return a / gcd(a, b) * b
}
