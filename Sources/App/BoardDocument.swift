import Foundation
import HTTP
import Query

/// Checks dashboard and playlist documents (SPEC 7) before they are stored. A bad field is a 400 that names it;
/// fields Telewall does not know are kept as they are.
enum BoardDocument {
    static let widgetTypes: Set<String> = ["graph", "number", "status", "alerts", "text", "clock"]
    static let maxWidgets = 100
    static let maxTargetsPerWidget = 20

    /// A valid dashboard document with defaults filled in (`refresh` 10, `from` "-1h", `widgets` []).
    static func dashboard(_ body: JSON) throws(HTTPError) -> JSON {
        var fields = try object(body, at: "document")
        fields["id"] = nil
        fields["shared"] = nil
        try title(fields)
        fields["refresh"] = .number(try number(fields["refresh"], at: "refresh", in: 1...86_400, default: 10))
        let zone = try timeZone(fields["tz"])
        for key in ["from", "until"] {
            guard let value = fields[key] else { continue }
            guard let text = value.stringValue, TimeSpec.parse(text, now: 1_700_000_000, timeZone: zone) != nil else {
                throw invalid(key, "is not a time like \"-1h\", \"-24h\" or \"now\"")
            }
        }
        if fields["from"] == nil { fields["from"] = "-1h" }
        guard case .array(let widgets) = fields["widgets"] ?? .array([]) else { throw invalid("widgets", "must be an array") }
        guard widgets.count <= maxWidgets else { throw invalid("widgets", "holds more than \(maxWidgets) widgets") }
        fields["widgets"] = .array(try widgets.enumerated().map { n, widget throws(HTTPError) in try self.widget(widget, at: "widgets[\(n)]") })
        return .object(fields)
    }

    /// A dashboard's `tz`: the zone its clock times (`from: "midnight"`) are read in, and the TV shows times in;
    /// UTC and the screen's own zone when absent.
    static func timeZone(_ value: JSON?) throws(HTTPError) -> TimeZone {
        guard let value else { return TimeSpec.utc }
        guard let name = value.stringValue, let zone = TimeSpec.zone(named: name) else {
            throw invalid("tz", "is not a time zone name such as \"Europe/Berlin\" or \"UTC\"")
        }
        return zone
    }

    /// A valid playlist document: a title, dashboards by id (checked by `exists`), and a dwell time in seconds.
    static func playlist(_ body: JSON, exists: (Int64) -> Bool) throws(HTTPError) -> JSON {
        var fields = try object(body, at: "document")
        fields["id"] = nil
        fields["shared"] = nil
        try title(fields)
        fields["dwell"] = .number(try number(fields["dwell"], at: "dwell", in: 5...86_400, default: 30))
        guard case .array(let ids) = fields["dashboards"] ?? .null, !ids.isEmpty, ids.count <= 100 else {
            throw invalid("dashboards", "must be an array of 1 to 100 dashboard ids")
        }
        for (n, id) in ids.enumerated() {
            guard let number = id.integerValue, exists(Int64(number)) else {
                throw invalid("dashboards[\(n)]", "is not the id of one of your dashboards")
            }
        }
        return .object(fields)
    }

    /// Every target a dashboard shows: what its share key may read.
    static func targets(of document: JSON) -> [String] {
        guard case .array(let widgets) = document["widgets"] ?? .null else { return [] }
        return widgets.flatMap(widgetTargets)
    }

    static func widgetTargets(_ widget: JSON) -> [String] {
        if case .array(let targets) = widget["targets"] ?? .null { return targets.compactMap(\.stringValue) }
        return widget["target"]?.stringValue.map { [$0] } ?? []
    }

    // MARK: - Widgets

    private static func widget(_ value: JSON, at path: String) throws(HTTPError) -> JSON {
        var fields = try object(value, at: path)
        guard let type = fields["type"]?.stringValue, widgetTypes.contains(type) else {
            throw invalid("\(path).type", "must be one of \(widgetTypes.sorted().joined(separator: ", "))")
        }
        if let title = fields["title"], title.stringValue == nil || title.stringValue!.count > 200 {
            throw invalid("\(path).title", "must be a string of at most 200 characters")
        }
        switch type {
        case "graph":
            guard case .array(let targets) = fields["targets"] ?? .null, !targets.isEmpty, targets.count <= maxTargetsPerWidget else {
                throw invalid("\(path).targets", "must be an array of 1 to \(maxTargetsPerWidget) targets")
            }
            for (n, target) in targets.enumerated() { try self.target(target, at: "\(path).targets[\(n)]") }
        case "number":
            try target(fields["target"] ?? .null, at: "\(path).target")
        case "status":
            guard let component = fields["component"]?.stringValue, !component.isEmpty, component.count <= 200 else {
                throw invalid("\(path).component", "must name a component")
            }
        case "text":
            guard let text = fields["text"]?.stringValue, text.count <= 2000 else { throw invalid("\(path).text", "must be a string of at most 2000 characters") }
        default: break
        }
        if let unit = fields["unit"], unit.stringValue == nil || unit.stringValue!.count > 16 {
            throw invalid("\(path).unit", "must be a string of at most 16 characters")
        }
        if let thresholds = fields["thresholds"] {
            let levels = try object(thresholds, at: "\(path).thresholds")
            for (level, limit) in levels where limit.numberValue == nil || !["warning", "critical"].contains(level) {
                throw invalid("\(path).thresholds.\(level)", "must be \"warning\" or \"critical\" with a number")
            }
        }
        if let position = fields["position"] { fields["position"] = try self.position(position, at: "\(path).position") }
        return .object(fields)
    }

    private static func target(_ value: JSON, at path: String) throws(HTTPError) {
        guard let text = value.stringValue, !text.isEmpty else { throw invalid(path, "must be a target expression") }
        let expression: TargetExpression
        do { expression = try ExpressionParser.parse(text) } catch { throw invalid(path, error.description) }
        if let unknown = unknownFunction(in: expression) { throw invalid(path, "unknown function '\(unknown)'") }
    }

    private static func unknownFunction(in expression: TargetExpression) -> String? {
        guard case .call(let name, let arguments, let keywords) = expression else { return nil }
        if !Functions.isKnown(name) { return name }
        return (arguments + keywords.values).lazy.compactMap(unknownFunction).first
    }

    /// `{"x", "y", "w", "h"}` on the 12-column grid.
    private static func position(_ value: JSON, at path: String) throws(HTTPError) -> JSON {
        let fields = try object(value, at: path)
        var out = fields
        for (key, range) in [("x", 0...11), ("y", 0...999), ("w", 1...12), ("h", 1...24)] {
            guard let n = fields[key]?.integerValue, range.contains(n) else {
                throw invalid("\(path).\(key)", "must be a whole number in \(range.lowerBound)...\(range.upperBound)")
            }
            out[key] = .number(Double(n))
        }
        guard fields["x"]!.integerValue! + fields["w"]!.integerValue! <= 12 else { throw invalid(path, "x + w must not pass column 12") }
        return .object(out)
    }

    // MARK: - Fields

    private static func object(_ value: JSON, at path: String) throws(HTTPError) -> [String: JSON] {
        guard case .object(let fields) = value else { throw invalid(path, "must be a JSON object") }
        return fields
    }

    private static func title(_ fields: [String: JSON]) throws(HTTPError) {
        guard let title = fields["title"]?.stringValue, !title.trimmingCharacters(in: .whitespaces).isEmpty, title.count <= 200 else {
            throw invalid("title", "must be a string of 1 to 200 characters")
        }
    }

    private static func number(_ value: JSON?, at path: String, in range: ClosedRange<Double>, default fallback: Double) throws(HTTPError) -> Double {
        guard let value else { return fallback }
        guard let n = value.numberValue, range.contains(n) else {
            throw invalid(path, "must be a number from \(Int(range.lowerBound)) to \(Int(range.upperBound))")
        }
        return n
    }

    private static func invalid(_ path: String, _ problem: String) -> HTTPError {
        HTTPError.badRequest("\(path) \(problem)", code: "invalid_document")
    }
}
