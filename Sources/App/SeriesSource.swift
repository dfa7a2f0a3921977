import Foundation
import HTTP
import Query
import Whisper

/// A request's `from` and `until` as epoch seconds, checked; times of day and dates are on `timeZone`'s clock.
struct TimeWindow: Sendable {
    let from: Int
    let until: Int
    /// The present as the request sees it: where relative times count from, and where the fetch puts the end of
    /// each archive's retention. Graphite's `now` parameter moves it from `clock`, the real time, as graphite-web
    /// does; without one there is nothing to parse.
    let now: Int
    /// The clock times of day and dates were read on (`tz`); functions that align to days and hours use it.
    let timeZone: TimeZone

    init(from: String, until: String, now nowText: String? = nil, clock: Int, timeZone: TimeZone = TimeSpec.utc) throws(HTTPError) {
        func time(_ parameter: String, _ text: String, now: Int) throws(HTTPError) -> Int {
            guard let t = TimeSpec.parse(text, now: now, timeZone: timeZone) else {
                throw HTTPError.badRequest("\(parameter): '\(text.prefix(100))' is not a time", code: "bad_time")
            }
            return t
        }
        let now = try nowText.map { text throws(HTTPError) in try time("now", text, now: clock) } ?? clock
        let (start, end) = (try time("from", from, now: now), try time("until", until, now: now))
        // As graphite-render: the earlier of the two begins the range, whichever parameter it came in.
        guard start != end else { throw HTTPError.badRequest("from and until are the same time: the range is empty", code: "bad_time") }
        self.from = min(start, end)
        self.until = max(start, end)
        self.now = now
        self.timeZone = timeZone
    }
}

/// Evaluates target expressions over one tenant's series, through the storage engine (buffered points included).
/// Globs never leave the tenant's directory, and one request touches at most `maxSeries` series.
struct SeriesSource: Sendable {
    let storage: WriteBackCache
    let maxSeries = 1000

    func tree(tenantID: String) throws -> MetricTree {
        MetricTree(root: try storage.paths.tenantDirectory(tenantID), maxSeries: maxSeries)
    }

    /// Every target's series, in order; a bad target is a 400 naming it, the problem and its position.
    func evaluate(_ targets: [String], tenantID: String, window: TimeWindow) throws -> [Series] {
        var context = try context(tenantID: tenantID, window: window)
        var series: [Series] = []
        for target in targets { series += try Self.evaluate(target, in: &context) }
        return series
    }

    func context(tenantID: String, window: TimeWindow) throws -> RenderContext {
        RenderContext(tree: try tree(tenantID: tenantID), from: window.from, until: window.until, timeZone: window.timeZone,
                      maxSeries: maxSeries) { name, from, until in
            guard let result = try? storage.fetch(tenant: tenantID, series: name, from: from, until: until, now: window.now) else { return nil }
            return Series(name: name, start: result.from, end: result.until, step: result.step, values: result.values)
        }
    }

    static func evaluate(_ target: String, in context: inout RenderContext) throws(HTTPError) -> [Series] {
        let expression: TargetExpression
        do { expression = try ExpressionParser.parse(target) } catch {
            throw HTTPError.badRequest("target '\(target.prefix(200))': \(error.description)", code: "bad_target")
        }
        do { return try context.evaluate(expression) } catch {
            throw HTTPError.badRequest("target '\(target.prefix(200))': \(error.message)", code: "bad_target")
        }
    }

    /// Graphite's `maxDataPoints`: every series consolidated over the common window to at most `maxDataPoints`.
    static func consolidate(_ series: [Series], maxDataPoints: Int) -> [Series] {
        guard maxDataPoints > 0, let start = series.map(\.start).min(), let end = series.map(\.end).max() else { return series }
        return series.map { $0.limited(to: maxDataPoints, start: start, end: end) }
    }
}
