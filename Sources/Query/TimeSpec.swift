import Foundation

/// Graphite's `from`/`until`: `now`, epoch seconds, `-30s`, `-5min`, `-1h`, `-2d`, `-1w`, `-1mon`, `-1y`, and
/// `HH:MM_YYYYMMDD` (UTC unless a time zone is given).
public enum TimeSpec {
    /// Looked up once: building a `TimeZone` per call cost more than the rest of parsing.
    public static let utc = TimeZone(identifier: "UTC")!

    /// The times and intervals accepted, in seconds either side of the epoch (about 3,000 years): the arithmetic
    /// on windows, shifts and buckets built from them stays far inside `Int`.
    public static let range = -100_000_000_000...100_000_000_000

    /// Seconds since the epoch, or for an interval (`now` 0) its length; nil when the text is not a time or is
    /// outside `range`.
    public static func parse(_ text: String, now: Int, timeZone: TimeZone = utc) -> Int? {
        guard let t = unbounded(text, now: now, timeZone: timeZone), range.contains(t) else { return nil }
        return t
    }

    private static func unbounded(_ text: String, now: Int, timeZone: TimeZone) -> Int? {
        var trimmed = Substring(text)
        while trimmed.first?.isWhitespace == true { trimmed.removeFirst() }
        while trimmed.last?.isWhitespace == true { trimmed.removeLast() }
        let t = trimmed.lowercased()
        if t.isEmpty || t == "now" { return now }
        if let epoch = Int(t), t.count >= 9 { return epoch }
        if t.hasPrefix("now-") || t.hasPrefix("now+") { return parse(String(t.dropFirst(3)), now: now, timeZone: timeZone) }
        if t.hasPrefix("-") || t.hasPrefix("+") {
            let sign = t.hasPrefix("-") ? -1 : 1
            let body = t.dropFirst()
            let digits = body.prefix { $0.isNumber }
            guard let n = Int(digits), let unit = unitSeconds(String(body.dropFirst(digits.count))) else { return nil }
            let (offset, overflow) = n.multipliedReportingOverflow(by: unit)
            guard !overflow, offset <= range.upperBound else { return nil }
            return now + sign * offset
        }
        return absolute(t, timeZone: timeZone)
    }

    static func unitSeconds(_ unit: String) -> Int? {
        switch unit {
        case "s", "sec", "secs", "second", "seconds": 1
        case "min", "mins", "minute", "minutes": 60
        case "h", "hour", "hours": 3600
        case "d", "day", "days": 86400
        case "w", "week", "weeks": 604_800
        case "mon", "month", "months": 2_592_000
        case "y", "year", "years": 31_536_000
        default: nil
        }
    }

    /// `HH:MM_YYYYMMDD` or `YYYYMMDD`.
    private static func absolute(_ t: String, timeZone: TimeZone) -> Int? {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        var components = DateComponents()
        let datePart: Substring
        if let underscore = t.firstIndex(of: "_") {
            let clock = t[..<underscore].split(separator: ":")
            guard clock.count == 2, let h = Int(clock[0]), let m = Int(clock[1]), (0..<24).contains(h), (0..<60).contains(m) else {
                return nil
            }
            components.hour = h
            components.minute = m
            datePart = t[t.index(after: underscore)...]
        } else {
            datePart = Substring(t)
        }
        guard datePart.count == 8, let ymd = Int(datePart) else { return nil }
        components.year = ymd / 10000
        components.month = ymd / 100 % 100
        components.day = ymd % 100
        guard (1...12).contains(components.month!), (1...31).contains(components.day!) else { return nil }
        return calendar.date(from: components).map { Int($0.timeIntervalSince1970) }
    }
}
