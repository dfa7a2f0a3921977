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

    public var timestamps: [Int] { values.indices.map { start + $0 * step } }

    /// `maxDataPoints`: consolidated (with its `consolidateBy` function) so that at most `max` points remain.
    public func limited(to max: Int) -> Series {
        guard values.count > max else { return self }
        return consolidated(by: (values.count + max - 1) / max)
    }

    /// Consolidates `perPoint` values into one, as Graphite's TimeSeries.consolidate does.
    func consolidated(by perPoint: Int, method: String? = nil) -> Series {
        guard perPoint > 1 else { return self }
        var out = self
        out.values = stride(from: 0, to: values.count, by: perPoint).map { i in
            Consolidation.apply(method ?? consolidation, Array(values[i..<min(i + perPoint, values.count)]))
        }
        out.step = step * perPoint
        out.end = out.start + out.values.count * out.step
        return out
    }
}

enum Consolidation {
    static let names = ["average", "avg", "sum", "min", "max", "first", "last"]

    static func apply(_ method: String, _ chunk: [Double?]) -> Double? {
        let known = chunk.compactMap { $0 }
        guard !known.isEmpty else { return nil }
        switch method {
        case "sum": return known.reduce(0, +)
        case "min": return known.min()
        case "max": return known.max()
        case "first": return known.first
        case "last": return known.last
        default: return known.reduce(0, +) / Double(known.count)
        }
    }
}

/// Graphite's `normalize`: every series consolidated to the least common multiple of their steps.
func normalize(_ list: [Series]) -> [Series] {
    guard let first = list.first else { return [] }
    let step = list.dropFirst().reduce(first.step) { lcm($0, $1.step) }
    return list.map { $0.consolidated(by: step / $0.step) }
}

func lcm(_ a: Int, _ b: Int) -> Int {
    func gcd(_ a: Int, _ b: Int) -> Int { b == 0 ? a : gcd(b, a % b) }
    return a / gcd(a, b) * b
}
