/// Which archives and aggregation a new series gets: the first rule whose pattern matches its name wins.
public struct StorageRules: Sendable {
    public struct SchemaRule: Sendable {
        public let pattern: Pattern
        public let retentions: [Retention]
    }

    public struct AggregationRule: Sendable {
        public let pattern: Pattern
        public let method: AggregationMethod
        public let xFilesFactor: Float
    }

    public var schemas: [SchemaRule]
    public var aggregations: [AggregationRule]

    /// SPEC 4: `10s:6h,1m:7d,10m:5y` as the spec spells it out (10:2160, 60:10080, 600:262974) for every series; min for `.lower`, max for `.upper(_N)`, sum for `.sum` and
    /// `.count`, average otherwise.
    public static let standard = StorageRules(
        schemas: [SchemaRule(pattern: Pattern.matchAll, retentions: Retention.list("10:2160,60:10080,600:262974")!)],
        aggregations: [
            AggregationRule(pattern: try! Pattern(#"\.lower$"#), method: .min, xFilesFactor: 0.1),
            AggregationRule(pattern: try! Pattern(#"\.upper(_\d+)?$"#), method: .max, xFilesFactor: 0.1),
            AggregationRule(pattern: try! Pattern(#"\.sum$"#), method: .sum, xFilesFactor: 0),
            AggregationRule(pattern: try! Pattern(#"\.count$"#), method: .sum, xFilesFactor: 0),
            AggregationRule(pattern: Pattern.matchAll, method: .average, xFilesFactor: 0.3),
        ])

    public init(schemas: [SchemaRule], aggregations: [AggregationRule]) {
        self.schemas = schemas
        self.aggregations = aggregations
    }

    /// Rules from configuration, tried before the standard ones (which stay as the fallback).
    public init(schemas: [(pattern: String, retentions: String)], aggregations: [(pattern: String, method: String, xFilesFactor: Double)]) throws(WhisperError) {
        var schemaRules: [SchemaRule] = []
        for (pattern, text) in schemas {
            guard let list = Retention.list(text) else { throw .invalidConfiguration("retentions '\(text)' are not PRECISION:DURATION,...") }
            if let problem = Retention.validate(list) { throw .invalidConfiguration("\(text): \(problem)") }
            schemaRules.append(SchemaRule(pattern: try Pattern(pattern), retentions: list))
        }
        var aggregationRules: [AggregationRule] = []
        for (pattern, name, xff) in aggregations {
            guard let method = AggregationMethod(name: name) else { throw .invalidConfiguration("unknown aggregation method '\(name)'") }
            guard xff >= 0 && xff <= 1 else { throw .invalidConfiguration("xFilesFactor \(xff) is not between 0 and 1") }
            aggregationRules.append(AggregationRule(pattern: try Pattern(pattern), method: method, xFilesFactor: Float(xff)))
        }
        self.init(schemas: schemaRules + Self.standard.schemas, aggregations: aggregationRules + Self.standard.aggregations)
    }

    public func retentions(for series: String) -> [Retention] {
        schemas.first { $0.pattern.matches(series) }!.retentions
    }

    public func aggregation(for series: String) -> (AggregationMethod, Float) {
        let rule = aggregations.first { $0.pattern.matches(series) }!
        return (rule.method, rule.xFilesFactor)
    }

    /// The header a new file for `series` gets.
    func header(for series: String) -> WhisperHeader {
        let (method, xff) = aggregation(for: series)
        return WhisperHeader(retentions: retentions(for: series), aggregation: method, xFilesFactor: xff)
    }
}

/// A regular expression from configuration, searched (not anchored) in a series name.
public struct Pattern: @unchecked Sendable {
    // @unchecked: a compiled Regex is immutable and matching does not mutate it.
    private let regex: Regex<AnyRegexOutput>?
    public let source: String

    static let matchAll = Pattern()

    private init() {
        regex = nil
        source = ".*"
    }

    public init(_ source: String) throws(WhisperError) {
        do { regex = try Regex(source) } catch { throw .invalidConfiguration("pattern '\(source)' is not a regular expression") }
        self.source = source
    }

    public func matches(_ name: String) -> Bool {
        guard let regex else { return true }
        return (try? regex.firstMatch(in: name)) != nil
    }
}

extension Retention {
    /// `10s:6h,1m:7d` as a list, or nil when any part does not parse.
    public static func list(_ text: String) -> [Retention]? {
        let parts = text.split(separator: ",").map { $0.filter { $0 != " " } }
        let list = parts.compactMap { Retention(parsing: $0) }
        return list.count == parts.count && !list.isEmpty ? list : nil
    }
}
