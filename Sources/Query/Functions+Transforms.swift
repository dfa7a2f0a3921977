import Foundation

/// Graphite functions beyond SPEC 5.1 that rewrite each series: names cut from paths, per-point transforms, and
/// the options of Graphite's PNG graphs, which JSON has no place for, as graphite-render computes them.
extension Functions {
    static let transformTable: [String: Function] = [
        "aliasByMetric": { context, args throws(RenderError) in
            try args.seriesList(&context).map { $0.renamed(substring($0.name, from: -1, to: 0)) }
        },
        "substr": substr,
        "offsetToZero": transform("offsetToZero", keepsPath: true) { s in
            guard let lowest = minimum(s.values) else { return s.values }
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
        "log": logarithm,
        "integralByInterval": integralByInterval,
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
        "threshold": { context, args throws(RenderError) in
            var line = constantSeries(try args.number("value"), context)
            if case .string(let label)? = try? args.expression("label"), !label.isEmpty { line.name = label }
            _ = try? args.expression("color")
            return [line]
        },
        "secondYAxis": { context, args throws(RenderError) in
            try args.seriesList(&context).map { $0.renamed("secondYAxis(\($0.name))") }
        },
    ]

    /// Python's `math.pow` as graphite-render's safePow uses it: nil for a null, and for a result that is not
    /// finite from finite arguments (Python raises there: `pow(0, -1)`, `pow(-1, 0.5)`, an overflow).
    static func pythonPow(_ value: Double?, _ exponent: Double) -> Double? {
        guard let value else { return nil }
        let result = Foundation.pow(value, exponent)
        return !result.isFinite && value.isFinite && exponent.isFinite ? nil : result
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

    /// log(seriesList, base=10): the logarithm of each value, null for a value at or below 0, as Python's
    /// math.log(value, base), which divides the natural logarithms.
    private static func logarithm(_ context: inout RenderContext, _ args: inout Arguments) throws(RenderError) -> [Series] {
        let list = try args.seriesList(&context)
        let base = try args.number("base", default: 10)
        guard base > 0 && base != 1 && base.isFinite else { throw RenderError("log: the base must be a positive number other than 1") }
        return list.map { s in
            var out = s.renamedAsCall("log(\(s.name), \(pythonLiteral(base)))")
            out.values = s.values.map { v in v.flatMap { $0 <= 0 ? nil : Foundation.log($0) / Foundation.log(base) } }
            return out
        }
    }

    /// integralByInterval(seriesList, intervalUnit): a running total that starts again at 0 at every whole
    /// interval counted from the request's `from`; a null keeps the total so far.
    private static func integralByInterval(_ context: inout RenderContext, _ args: inout Arguments) throws(RenderError) -> [Series] {
        let list = try args.seriesList(&context)
        let unit = try args.string("intervalUnit")
        let interval = try intervalSeconds(unit, "integralByInterval")
        let from = context.from
        return list.map { s in
            var out = s.renamedAsCall("integralByInterval(\(s.name),'\(unit)')")
            var total = 0.0
            out.values = s.values.indices.map { i in
                let t = s.start + i * s.step - from
                if floorDiv(t, interval) != floorDiv(t - s.step, interval) { total = 0 }
                if let v = s.values[i] { total += v }
                return total
            }
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
