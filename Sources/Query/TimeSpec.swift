import Foundation

/// Graphite's `from`/`until`: `now`, epoch seconds, `-30s`, `-5min`, `-1h`, `-2d`, `-1w`, `-1mon`, `-1y` (and
/// sums such as `-1d12h`, as Graphite adds them), and Graphite's named references (`midnight`, `noon yesterday`,
/// `today+6h`, `monday`, `jan8`, `12/25/24`, `22:13_20231114`), read on the clock of a time zone, UTC unless
/// one is given.
public enum TimeSpec {
    /// Looked up once: building a `TimeZone` per call cost more than the rest of parsing.
    public static let utc = TimeZone(identifier: "UTC")!

    /// The zone of an IANA name (`Europe/Berlin`, `Etc/GMT-5`) or `UTC`; nil for any other name. Foundation
    /// would also read `GMT+5` as five hours east, where the tz database's `Etc/GMT+5` is five hours west;
    /// such names are nil rather than a guess.
    public static func zone(named name: String) -> TimeZone? {
        if name == "UTC" { return utc }
        guard let zone = TimeZone(identifier: name), zone.identifier == name else { return nil }
        return zone
    }

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
        if t.allSatisfy(isDigit), !isPlausibleDate(t), let epoch = Int(t) { return epoch }
        if t.hasPrefix("now-") || t.hasPrefix("now+") { return parse(String(t.dropFirst(3)), now: now, timeZone: timeZone) }
        if t.hasPrefix("-") || t.hasPrefix("+") { return offsetSeconds(t[...]).map { now + $0 } }
        return reference(t, now: now, timeZone: timeZone)
    }

    /// Graphite's named references: a time of day (`midnight`, `noon`, `teatime`, `18:30`, `6:30pm`, `6pm`) and
    /// a day (`dayOffset`: `yesterday`, `monday`, `jan8`, `12/25/24`, `20231114`), either or both, on the clock of
    /// `timeZone`, then an offset in the units above, in elapsed seconds (`midnight-1d`, `noon friday+2h30min`).
    /// A day alone means its midnight; a time of day alone, today's.
    private static func reference(_ t: String, now: Int, timeZone: TimeZone) -> Int? {
        let s = t.filter { $0 != " " && $0 != "_" && $0 != "," }
        let split = s.firstIndex { $0 == "+" || $0 == "-" } ?? s.endIndex
        guard split > s.startIndex, let offset = offsetSeconds(s[split...]) else { return nil }
        var rest = s[..<split]
        var secondOfDay = 0
        if let clock = timeOfDay(&rest) {
            secondOfDay = clock
        } else if let (word, seconds) = [("midnight", 0), ("noon", 43_200), ("teatime", 57_600)].first(where: { rest.hasPrefix($0.0) }) {
            secondOfDay = seconds
            rest = rest.dropFirst(word.count)
        }
        let today = floorDiv(now + timeZone.secondsFromGMT(for: date(now)), 86_400)
        guard let days = dayOffset(rest, today: today) else { return nil }
        return instant(ofWallClock: (today + days) * 86_400 + secondOfDay, in: timeZone) + offset
    }

    /// The instant a wall-clock time in `zone` names (`wallClock` counts seconds as if the zone were UTC), read
    /// as Graphite reads it (pytz, `is_dst=False`): in the hour a clock change repeats, the later reading, on
    /// standard time; in the hour it skips, the reading with the standard time's offset.
    private static func instant(ofWallClock wallClock: Int, in zone: TimeZone) -> Int {
        let sides = [wallClock - 86_400, wallClock + 86_400].map { day in
            (offset: zone.secondsFromGMT(for: date(day)), daylight: zone.isDaylightSavingTime(for: date(day)))
        }
        guard sides[0].offset != sides[1].offset else { return wallClock - sides[0].offset }
        let readings = sides.filter { zone.secondsFromGMT(for: date(wallClock - $0.offset)) == $0.offset }
        let side = readings.count == 1 ? readings[0] : (sides.first { !$0.daylight } ?? sides[0])
        return wallClock - side.offset
    }

    private static func date(_ seconds: Int) -> Date { Date(timeIntervalSince1970: Double(seconds)) }

    private static func isDigit(_ c: Character) -> Bool { c.isASCII && c.isNumber }

    private static let calendar: Calendar = {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = utc
        return calendar
    }()
    private static let weekdays = ["sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"]
    private static let months = ["january", "february", "march", "april", "may", "june", "july", "august", "september",
                                 "october", "november", "december"]

    /// The day a named reference points at, in days from `today` (days since the epoch): `today` (or nothing),
    /// `yesterday`, `tomorrow`; a weekday (`monday` or `mon`), the latest one, today included; a month and a day
    /// of this year (`jan8`, `january 8`); `MM/DD/YY`, `MM/DD/YYYY` or `YYYYMMDD`. Nil for a day that does not
    /// exist (`feb30`).
    private static func dayOffset(_ word: Substring, today: Int) -> Int? {
        switch word {
        case "", "today": return 0
        case "yesterday": return -1
        case "tomorrow": return 1
        default: break
        }
        let midnight = date(today * 86_400)
        if let weekday = index(of: word, in: weekdays) {
            return -((calendar.component(.weekday, from: midnight) - 1 - weekday + 7) % 7)
        }
        guard let (year, month, day) = calendarDate(word, thisYear: calendar.component(.year, from: midnight)),
            let date = calendar.date(from: DateComponents(year: year, month: month, day: day)),
            case let found = calendar.dateComponents([.year, .month, .day], from: date),
            found.year == year, found.month == month, found.day == day
        else { return nil }
        return Int(date.timeIntervalSince1970) / 86_400 - today
    }

    /// The position of `word` in `names`, given as the full name or its first three letters.
    private static func index(of word: Substring, in names: [String]) -> Int? {
        names.firstIndex { $0 == word || $0.prefix(3) == word }
    }

    /// Year, month and day, not yet checked against the calendar, from `jan8` or `january8` (in `thisYear`),
    /// `MM/DD/YY` (a year before 70 is 20YY, as Graphite reads it), `MM/DD/YYYY` or `YYYYMMDD`.
    private static func calendarDate(_ word: Substring, thisYear: Int) -> (Int, Int, Int)? {
        func number(_ text: Substring, digits: ClosedRange<Int>) -> Int? {
            digits.contains(text.count) && text.allSatisfy(isDigit) ? Int(text) : nil
        }
        let letters = word.prefix { $0.isLetter }
        if !letters.isEmpty {
            guard let month = index(of: letters, in: months), let day = number(word.dropFirst(letters.count), digits: 1...2) else {
                return nil
            }
            return (thisYear, month + 1, day)
        }
        let parts = word.split(separator: "/", omittingEmptySubsequences: false)
        if parts.count == 3 {
            guard let month = number(parts[0], digits: 1...2), let day = number(parts[1], digits: 1...2),
                let year = number(parts[2], digits: 2...4), parts[2].count != 3
            else { return nil }
            return (parts[2].count == 2 ? (year < 70 ? 2000 : 1900) + year : year, month, day)
        }
        guard let ymd = number(word, digits: 8...8) else { return nil }
        return (ymd / 10_000, ymd / 100 % 100, ymd % 100)
    }

    /// `HH:MM`, `HH:MMam`, `HH:MMpm` or `Ham`, `Hpm` (`18:30`, `6:30pm`, `6pm`; 12:30am is half past midnight),
    /// taken off the front of `text`.
    private static func timeOfDay(_ text: inout Substring) -> Int? {
        let hours = text.prefix(while: isDigit)
        guard (1...2).contains(hours.count), var hour = Int(hours) else { return nil }
        var rest = text.dropFirst(hours.count)
        var minute: Int?
        if rest.first == ":" {
            let digits = rest.dropFirst().prefix(2)
            guard digits.count == 2, digits.allSatisfy(isDigit) else { return nil }
            minute = Int(digits)
            rest = rest.dropFirst(3)
        }
        if rest.hasPrefix("am") || rest.hasPrefix("pm") {
            guard (1...12).contains(hour) else { return nil }
            hour = hour % 12 + (rest.hasPrefix("pm") ? 12 : 0)
            rest = rest.dropFirst(2)
        } else if minute == nil {
            return nil
        }
        let m = minute ?? 0
        guard hour < 24, m < 60 else { return nil }
        text = rest
        return hour * 3600 + m * 60
    }

    /// Whether digits read as `YYYYMMDD` rather than epoch seconds: Graphite's test, eight digits with a year
    /// after 1900, a month below 13 and a day below 32 (`20231114`; `20231301` is a time in 1970).
    private static func isPlausibleDate(_ digits: String) -> Bool {
        guard digits.count == 8, let n = Int(digits) else { return false }
        return n / 10_000 > 1900 && n / 100 % 100 < 13 && n % 100 < 32
    }

    /// `+2h`, `-1d`, `-1d12h` (each part in the units of `unitSeconds`, the sign for all), or `` for none: a
    /// relative time, or the offset after a named reference.
    private static func offsetSeconds(_ text: Substring) -> Int? {
        guard let sign = text.first.map({ $0 == "-" ? -1 : 1 }) else { return 0 }
        var rest = text.dropFirst()
        var total = 0
        repeat {
            let digits = rest.prefix(while: isDigit)
            let unit = rest.dropFirst(digits.count).prefix { $0.isLetter }
            guard let n = Int(digits), let seconds = unitSeconds(String(unit)), n <= range.upperBound / seconds else { return nil }
            total += n * seconds
            guard total <= range.upperBound else { return nil }
            rest = rest.dropFirst(digits.count + unit.count)
        } while !rest.isEmpty
        return sign * total
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
}
