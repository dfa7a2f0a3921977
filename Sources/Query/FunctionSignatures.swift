/// What `/functions` tells Grafana about each render function: Graphite's group, a description, and each
/// parameter with its Graphite type, whether it is required, its default and its choices.
public struct FunctionSignature: Sendable {
    public struct Parameter: Sendable {
        public let name: String
        /// Graphite's parameter types: seriesList, seriesLists, float, integer, string, boolean, interval,
        /// intOrInterval, intOrInf, node, aggFunc, any.
        public let type: String
        public let required: Bool
        public let multiple: Bool
        public let defaultValue: String?
        public let options: [String]

        init(_ name: String, _ type: String, required: Bool = false, multiple: Bool = false, default defaultValue: String? = nil, options: [String] = []) {
            self.name = name
            self.type = type
            self.required = required
            self.multiple = multiple
            self.defaultValue = defaultValue
            self.options = options
        }
    }

    public let name: String
    public let group: String
    public let description: String
    public let parameters: [Parameter]
}

extension Functions {
    private typealias P = FunctionSignature.Parameter
    private static let series = P("seriesList", "seriesList", required: true)
    private static let lists = P("seriesLists", "seriesLists", required: true, multiple: true)
    /// A required `n`: how many (limit, nPercentile's percent) or the bound a filter compares with.
    private static let requiredN = P("n", "integer", required: true)
    private static let window = P("windowSize", "intOrInterval", required: true)

    private static func signature(_ name: String, _ group: String, _ description: String, _ parameters: [P]) -> (String, FunctionSignature) {
        (name, FunctionSignature(name: name, group: group, description: description, parameters: parameters))
    }

    /// Refuses what a Python call of the Graphite function would refuse, rather than ignoring it: more positional
    /// arguments than its parameters (unless its last takes many), a keyword that names none of them, or one that
    /// names a parameter a positional argument already gave.
    static func checkCall(_ name: String, positional: Int, keywords: some Collection<String>) throws(RenderError) {
        guard let parameters = signatures[name]?.parameters else { return }
        if positional > parameters.count && parameters.last?.multiple != true {
            throw RenderError("\(name): takes at most \(parameters.count) arguments, \(positional) given")
        }
        for keyword in keywords.sorted() {
            guard let index = parameters.firstIndex(where: { $0.name == keyword }) else {
                throw RenderError("\(name): has no parameter '\(keyword)'")
            }
            if index < positional { throw RenderError("\(name): '\(keyword)' is given twice") }
        }
    }

    /// Every function of `table`, described (a test holds the two lists equal).
    public static let signatures: [String: FunctionSignature] = Dictionary(uniqueKeysWithValues: [
        signature("sumSeries", "Combine", "Adds the series point by point; nulls are left out.", [lists]),
        signature("averageSeries", "Combine", "Averages the series point by point; nulls are left out.", [lists]),
        signature("maxSeries", "Combine", "The largest value at each point.", [lists]),
        signature("minSeries", "Combine", "The smallest value at each point.", [lists]),
        signature("diffSeries", "Combine", "The first series minus all the others, point by point.", [lists]),
        signature("multiplySeries", "Combine", "Multiplies the series point by point; null where any is null.", [lists]),
        signature("divideSeries", "Combine", "Divides each series by one divisor series.",
                  [P("dividendSeriesList", "seriesList", required: true), P("divisorSeries", "seriesList", required: true)]),
        signature("asPercent", "Combine", "Each series as a percent of a total (a number, a series, or their sum).",
                  [series, P("total", "any")]),
        signature("group", "Combine", "Joins several series lists into one.", [lists]),
        signature("groupByNode", "Combine", "Groups series by one node of their names and reduces each group.",
                  [series, P("nodeNum", "node", required: true), P("callback", "aggFunc", default: "average", options: ["averageSeries", "sumSeries", "maxSeries", "minSeries"])]),
        signature("scale", "Transform", "Multiplies every value by a factor.", [series, P("factor", "float", required: true)]),
        signature("offset", "Transform", "Adds a constant to every value.", [series, P("factor", "float", required: true)]),
        signature("absolute", "Transform", "The absolute value of every point.", [series]),
        signature("derivative", "Transform", "The difference between each point and the one before.", [series]),
        signature("nonNegativeDerivative", "Transform", "The derivative of a counter: a drop is a wrap at maxValue, or null without it.",
                  [series, P("maxValue", "float")]),
        signature("perSecond", "Transform", "The rate per second of a counter; a drop is a wrap at maxValue, or null without it.",
                  [series, P("maxValue", "float")]),
        signature("integral", "Transform", "The running total of the values.", [series]),
        signature("keepLastValue", "Transform", "Fills gaps of up to `limit` points with the last value.", [series, P("limit", "intOrInf", default: "INF")]),
        signature("transformNull", "Transform", "Replaces nulls with a default value (where a reference series has a value).",
                  [series, P("default", "float", default: "0"), P("referenceSeries", "seriesList")]),
        signature("timeShift", "Transform", "Draws the series shifted back in time, e.g. \"1d\" for yesterday.",
                  [series, P("timeShift", "interval", required: true), P("resetEnd", "boolean", default: "true"),
                   P("alignDST", "boolean", default: "false")]),
        signature("summarize", "Transform", "Consolidates into buckets of an interval with a function.",
                  [series, P("intervalString", "interval", required: true), P("func", "aggFunc", default: "sum", options: ["sum", "avg", "last", "max", "min"]),
                   P("alignToFrom", "boolean", default: "false")]),
        signature("hitcount", "Transform", "Estimates hits per interval from a rate per second.",
                  [series, P("intervalString", "interval", required: true), P("alignToInterval", "boolean", default: "false")]),
        signature("movingAverage", "Calculate", "The average over a moving window of points or of time.",
                  [series, window]),
        signature("alias", "Alias", "Gives the series a new name.", [series, P("newName", "string", required: true)]),
        signature("aliasByNode", "Alias", "Names each series by nodes of its path.", [series, P("nodes", "node", required: true, multiple: true)]),
        signature("aliasSub", "Alias", "Renames series with a regular expression substitution.",
                  [series, P("search", "string", required: true), P("replace", "string", required: true)]),
        signature("highestCurrent", "Filter Series", "The n series with the highest last value.", [series, P("n", "integer", default: "1")]),
        signature("highestMax", "Filter Series", "The n series with the highest maximum.", [series, P("n", "integer", default: "1")]),
        signature("lowestCurrent", "Filter Series", "The n series with the lowest last value.", [series, P("n", "integer", default: "1")]),
        signature("limit", "Filter Series", "The first n series.", [series, requiredN]),
        signature("sortByName", "Sorting", "Sorts the series by name.",
                  [series, P("natural", "boolean", default: "false"), P("reverse", "boolean", default: "false")]),
        signature("consolidateBy", "Special", "How maxDataPoints consolidates the series.",
                  [series, P("consolidationFunc", "string", required: true, options: ["average", "sum", "min", "max", "first", "last"])]),
        signature("constantLine", "Special", "A horizontal line at a value.", [P("value", "float", required: true)]),
    ] + [
        signature("exclude", "Filter Series", "The series whose name the regular expression does not match.",
                  [series, P("pattern", "string", required: true)]),
        signature("grep", "Filter Series", "The series whose name the regular expression matches.", [series, P("pattern", "string", required: true)]),
        signature("removeEmptySeries", "Filter Series", "The series with at least one value.", [series]),
        signature("removeAboveValue", "Filter Data", "Values above n become null.", [series, P("n", "float", required: true)]),
        signature("removeBelowValue", "Filter Data", "Values below n become null.", [series, P("n", "float", required: true)]),
        signature("currentAbove", "Filter Series", "The series whose last value is at least n.", [series, requiredN]),
        signature("currentBelow", "Filter Series", "The series whose last value is at most n (or that have none).", [series, requiredN]),
        signature("averageAbove", "Filter Series", "The series whose average is at least n.", [series, requiredN]),
        signature("averageBelow", "Filter Series", "The series whose average is at most n (or that have none).", [series, requiredN]),
        signature("maximumAbove", "Filter Series", "The series whose maximum is above n.", [series, requiredN]),
        signature("maximumBelow", "Filter Series", "The series whose maximum is at most n (or that have none).", [series, requiredN]),
        signature("minimumAbove", "Filter Series", "The series whose minimum is above n.", [series, requiredN]),
        signature("minimumBelow", "Filter Series", "The series whose minimum is at most n (or that have none).", [series, requiredN]),
        signature("highestAverage", "Filter Series", "The n series with the highest average.", [series, P("n", "integer", default: "1")]),
        signature("lowestAverage", "Filter Series", "The n series with the lowest average.", [series, P("n", "integer", default: "1")]),
        signature("aliasByMetric", "Alias", "Names each series by the last node of its path.", [series]),
        signature("substr", "Special", "Names each series by the nodes start to stop of its path.",
                  [series, P("start", "node", default: "0"), P("stop", "node", default: "0")]),
        signature("countSeries", "Combine", "How many series there are, at every point.", [P("seriesLists", "seriesLists", multiple: true)]),
        signature("sumSeriesWithWildcards", "Combine", "Sums the series that are the same but for the nodes at the positions given.",
                  [series, P("position", "node", multiple: true)]),
        signature("averageSeriesWithWildcards", "Combine", "Averages the series that are the same but for the nodes at the positions given.",
                  [series, P("position", "node", multiple: true)]),
        signature("offsetToZero", "Transform", "Subtracts each series' minimum from it, so that it starts at zero.", [series]),
        signature("invert", "Transform", "1 divided by each value.", [series]),
        signature("squareRoot", "Transform", "The square root of each value.", [series]),
        signature("isNonNull", "Transform", "1 where there is a value, 0 where there is none.", [series]),
        signature("delay", "Transform", "The values moved a number of points later (earlier when negative).",
                  [series, P("steps", "integer", required: true)]),
        signature("changed", "Special", "1 where the value differs from the one before, 0 elsewhere.", [series]),
        signature("pow", "Transform", "Each value raised to a power.", [series, P("factor", "float", required: true)]),
        signature("scaleToSeconds", "Transform", "A rate per step as a rate per the seconds given.", [series, P("seconds", "float", required: true)]),
        signature("cumulative", "Special", "Consolidates by sum under maxDataPoints: consolidateBy(series, 'sum').", [series]),
        signature("fallbackSeries", "Special", "The fallback series when the first list has none.",
                  [series, P("fallback", "seriesList", required: true)]),
        signature("color", "Graph", "A graph colour, which JSON has no place for: the series unchanged.", [series, P("theColor", "string", required: true)]),
        signature("alpha", "Graph", "A graph transparency, which JSON has no place for: the series unchanged.", [series, P("alpha", "float", required: true)]),
        signature("lineWidth", "Graph", "A graph line width, which JSON has no place for: the series unchanged.", [series, P("width", "float", required: true)]),
        signature("dashed", "Graph", "A dashed graph line, which JSON has no place for: the series renamed.", [series, P("dashLength", "float", default: "5")]),
        signature("secondYAxis", "Graph", "A graph's second axis, which JSON has no place for: the series renamed.", [series]),
        signature("stddevSeries", "Combine", "The standard deviation of the series at each point.", [lists]),
        signature("rangeOfSeries", "Combine", "The largest value minus the smallest at each point.", [lists]),
        signature("percentileOfSeries", "Combine", "The n-th percentile across the series at each point.",
                  [series, P("n", "float", required: true), P("interpolate", "boolean", default: "false")]),
        signature("nPercentile", "Calculate", "Each series as a line at its n-th percentile.", [series, requiredN]),
        signature("sortByTotal", "Sorting", "Sorts the series by their sum, highest first.", [series]),
        signature("sortByMaxima", "Sorting", "Sorts the series by their maximum, highest first.", [series]),
        signature("groupByNodes", "Combine", "Groups series by several nodes of their names and reduces each group.",
                  [series, P("callback", "aggFunc", required: true, options: ["averageSeries", "sumSeries", "maxSeries", "minSeries"]),
                   P("nodes", "node", multiple: true)]),
        signature("movingSum", "Calculate", "The sum over a moving window of points or of time.", [series, window]),
        signature("movingMin", "Calculate", "The minimum over a moving window of points or of time.", [series, window]),
        signature("movingMax", "Calculate", "The maximum over a moving window of points or of time.", [series, window]),
        signature("movingMedian", "Calculate", "The median over a moving window of points or of time.", [series, window]),
        signature("removeAbovePercentile", "Filter Data", "Values above the series' n-th percentile become null.", [series, requiredN]),
        signature("removeBelowPercentile", "Filter Data", "Values below the series' n-th percentile become null.", [series, requiredN]),
        signature("log", "Transform", "The logarithm of each value (null at or below 0).", [series, P("base", "float", default: "10")]),
        signature("integralByInterval", "Transform", "A running total that starts again at 0 every interval from the start of the range.",
                  [series, P("intervalUnit", "interval", required: true)]),
        signature("threshold", "Graph", "A horizontal line at a value, with a name.",
                  [P("value", "float", required: true), P("label", "string"), P("color", "string")]),
        signature("aggregateLine", "Calculate", "Each series as a line at its average, minimum or maximum.",
                  [series, P("func", "aggFunc", default: "avg", options: ["avg", "min", "max"])]),
        signature("divideSeriesLists", "Combine", "Divides the series of one list by those of another, pair by pair.",
                  [P("dividendSeriesList", "seriesList", required: true), P("divisorSeriesList", "seriesList", required: true)]),
        signature("sortByMinima", "Sorting", "The series whose maximum is above 0, by their minimum, lowest first.", [series]),
    ])
}
