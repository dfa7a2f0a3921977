import Foundation
import Posix
import Synchronization
import Testing
import TestSupport

@testable import Query

@Suite struct ExpressionParserTests {
    @Test func parsesPathsCallsAndLiterals() throws {
        let e = try ExpressionParser.parse("aliasSub(sumSeries(stats.{a,b}.c[0-9]?, x.*), '(^.*$)', \"\\1\", n=-2.5, natural=true)")
        guard case .call("aliasSub", let args, let keywords) = e else { Issue.record("\(e)"); return }
        #expect(args.count == 3)
        #expect(args[0] == .call(name: "sumSeries", arguments: [.path("stats.{a,b}.c[0-9]?"), .path("x.*")], keywords: [:]))
        #expect(args[1] == .string("(^.*$)") && args[2] == .string("\\1"))
        #expect(keywords == ["n": .number(-2.5), "natural": .bool(true)])
        #expect(try ExpressionParser.parse("constantLine(100)") == .call(name: "constantLine", arguments: [.number(100)], keywords: [:]))
        #expect(try ExpressionParser.parse("a.5min.b") == .path("a.5min.b"))
    }

    /// Plain names skip the grammar; a leading space sends the same text through it, and both must agree.
    @Test(arguments: ["app.requests.count", "a", "A1.b-c_d.*", "x?y.z*", "true", "False", "trueish.x", "a..b", "a.", "a-1e5"])
    func plainNamesParseAsTheGrammarDoes(text: String) throws {
        #expect(try ExpressionParser.parse(text) == ExpressionParser.parse(" " + text))
    }

    @Test(arguments: [
        ("sumSeries(a.b", "missing ')'", 13), ("a.b)", "unexpected ')'", 3), ("sum Series(a)", "unexpected 'S'", 4),
        ("f(a,,b)", "expected a series or a value", 4), ("'open", "unclosed string", 0), ("a.{b,c", "unclosed", 0),
        ("f(x=1, b)", "positional argument after a keyword", 7), ("a/b", "unexpected '/'", 1), ("", "found the end", 0),
    ])
    func badExpressionsNameTheProblemAndPosition(text: String, message: String, position: Int) {
        do {
            _ = try ExpressionParser.parse(text)
            Issue.record("accepted \(text)")
        } catch {
            #expect(error.message.contains(message), "\(text): \(error)")
            #expect(error.position == position, "\(text): \(error)")
        }
    }
}

@Suite struct TimeSpecTests {
    @Test(arguments: [
        ("now", 0), ("", 0), ("-30s", -30), ("-5min", -300), ("-1h", -3600), ("-2d", -172_800), ("-1w", -604_800),
        ("-1mon", -2_592_000), ("-1y", -31_536_000), ("now-1h", -3600), ("-1d12h", -129_600), ("+2h30min", 9000),
    ])
    func relativeTimes(text: String, offset: Int) {
        #expect(TimeSpec.parse(text, now: 1_700_000_000) == 1_700_000_000 + offset)
    }

    @Test func absoluteTimes() throws {
        #expect(TimeSpec.parse("1699999999", now: 0) == 1_699_999_999)
        // Digits are epoch seconds, as Graphite reads them, unless they look like a date (`YYYYMMDD`).
        #expect(TimeSpec.parse("0", now: 5) == 0 && TimeSpec.parse("6", now: 5) == 6 && TimeSpec.parse("20231301", now: 0) == 20_231_301)
        #expect(TimeSpec.parse("22:13_20231114", now: 0) == (try dateSeconds("2023-11-14 22:13")))
        #expect(TimeSpec.parse("-5parsecs", now: 0) == nil && TimeSpec.parse("tomorrowish", now: 0) == nil)
    }

    /// Graphite's named references, seen from 2023-11-14 22:13:20 UTC; each expected time comes from `date -u`.
    @Test(arguments: [
        ("midnight", "2023-11-14 00:00"), ("noon yesterday", "2023-11-13 12:00"), ("today+6h", "2023-11-14 06:00"),
        ("midnight-1d", "2023-11-13 00:00"), ("teatime tomorrow", "2023-11-15 16:00"), ("6:30pm_yesterday", "2023-11-13 18:30"),
        ("12:30am", "2023-11-14 00:30"), ("12:05pm", "2023-11-14 12:05"), ("18:05", "2023-11-14 18:05"),
        ("noon+2h30min", "2023-11-14 14:30"), ("Yesterday", "2023-11-13 00:00"), ("tomorrow-1d12h", "2023-11-13 12:00"),
        // 2023-11-14 was a Tuesday.
        ("monday", "2023-11-13 00:00"), ("tue", "2023-11-14 00:00"), ("Sunday", "2023-11-12 00:00"), ("wed", "2023-11-08 00:00"),
        ("noon friday", "2023-11-10 12:00"), ("sat+1d", "2023-11-12 00:00"), ("jan8", "2023-01-08 00:00"),
        ("December 25", "2023-12-25 00:00"), ("6:30pm_feb 28", "2023-02-28 18:30"), ("11/14/23", "2023-11-14 00:00"),
        ("02/29/2024", "2024-02-29 00:00"), ("1/2/69", "2069-01-02 00:00"), ("01/02/70", "1970-01-02 00:00"),
        ("noon_20240229", "2024-02-29 12:00"), ("20240229+1d", "2024-03-01 00:00"), ("teatime 12/31/1999", "1999-12-31 16:00"),
        // A clock time, or one on a day of a month, then an offset (graphite-render fails on these).
        ("18:05-1h30min", "2023-11-14 16:35"), ("6:30pm_mar 3+1w", "2023-03-10 18:30"), ("8am+3h", "2023-11-14 11:00"),
    ])
    func namedReferences(text: String, expected: String) throws {
        #expect(TimeSpec.parse(text, now: 1_700_000_000) == (try dateSeconds(expected)), "\(text)")
    }

    /// The same references on other zones' clocks, seen from 2023-11-15 03:00:00 UTC, which is still Tuesday the
    /// 14th in New York and already the 15th in Kolkata; each expected time comes from `TZ=<zone> date`.
    @Test(arguments: [
        ("America/New_York", "midnight", "2023-11-14 00:00"), ("America/New_York", "noon yesterday", "2023-11-13 12:00"),
        ("America/New_York", "monday", "2023-11-13 00:00"), ("America/New_York", "tomorrow", "2023-11-15 00:00"),
        ("America/New_York", "22:13_20231114", "2023-11-14 22:13"), ("America/New_York", "6pm", "2023-11-14 18:00"),
        ("America/New_York", "11am+30min", "2023-11-14 11:30"), ("Asia/Kolkata", "midnight", "2023-11-15 00:00"),
        ("Asia/Kolkata", "20240229", "2024-02-29 00:00"), ("Asia/Kolkata", "noon_jan8", "2023-01-08 12:00"),
        ("Europe/Berlin", "teatime 12/31/1999", "1999-12-31 16:00"),
    ])
    func namedReferencesOnAZonesClock(zone: String, text: String, expected: String) throws {
        let now = 1_700_000_000 + 4 * 3600 + 46 * 60 + 40
        #expect(TimeSpec.parse(text, now: now, timeZone: try #require(TimeZone(identifier: zone))) == (try dateSeconds(expected, zone: zone)),
                "\(zone) \(text)")
    }

    /// Where Berlin's clocks change. 02:30 on 2023-10-29 happened twice; Graphite (pytz, `is_dst=False`) takes the
    /// second, on standard time (01:30 UTC). 02:30 on 2023-03-26 never happened; Graphite reads it with the
    /// standard offset, +01:00 (01:30 UTC). An offset counts elapsed time: 6 h after that day's midnight
    /// (22:00 UTC the day before) is 04:00 UTC, 05:00 on the clock. Expected instants from `date -u`.
    @Test(arguments: [
        ("02:30_20231029", "2023-10-29 01:30"), ("02:30_20230326", "2023-03-26 01:30"), ("midnight+6h", "2023-10-29 04:00"),
        ("03:30_20231029", "2023-10-29 02:30"), ("01:30_20231029", "2023-10-28 23:30"),
    ])
    func referencesWhereTheClockChanges(text: String, expected: String) throws {
        let now = try dateSeconds("2023-10-29 12:00")
        let instant = try dateSeconds(expected)
        #expect(TimeSpec.parse(text, now: now, timeZone: try #require(TimeZone(identifier: "Europe/Berlin"))) == instant, "\(text)")
    }

    /// `date`'s reading of a clock time in `zone`, in epoch seconds: the tests' clock, independent of TimeSpec.
    /// A time `date` cannot read fails the test.
    private func dateSeconds(_ text: String, zone: String = "UTC") throws -> Int {
        let (status, output) = try run("/usr/bin/env", ["TZ=\(zone)", "date", "-d", text, "+%s"])
        #expect(status == 0, "date -d '\(text)'")
        return try #require(Int(output.trimmingCharacters(in: .whitespacesAndNewlines)))
    }

    /// ZoneClock looks the offset up once per clock change, yet reads every instant as a lookup for each would:
    /// every 10 minutes across both of Berlin's 2023 changes, and again from the start, as a second series does.
    @Test func aZonesClockAcrossItsChanges() throws {
        let berlin = try #require(TimeZone(identifier: "Europe/Berlin"))
        var clock = ZoneClock(berlin)
        var misread: [Int] = []
        for start in [1_679_788_800, 1_698_537_600] {  // 2023-03-26 and 2023-10-29, 00:00 UTC
            let instants = Array(stride(from: start - 86_400, to: start + 86_400, by: 600))
            for t in instants + instants where clock.wallClock(t) != t + berlin.secondsFromGMT(for: Date(timeIntervalSince1970: Double(t))) {
                misread.append(t)
            }
        }
        #expect(misread.first == nil, "\(misread.count) instants misread")
    }

    @Test(arguments: ["noonish", "13:00pm", "0:30am", "25:00", "12:5", "yesterday-", "midnight+5parsecs", "today+1h-", "lunchtime", "+noon",
                      "feb29", "feb30", "jan", "jan123", "janu8", "funday", "mo", "13/01/24", "01/02", "01/02/024", "1/2/3/4",
                      "20230229", "20231100", "monday8", "12/25/24x", "13pm", "0am", "123pm", "6p", "24:00", "-123456789"])
    func namedReferencesThatAreNotTimes(text: String) {
        #expect(TimeSpec.parse(text, now: 1_700_000_000) == nil)
    }
}

@Suite struct FunctionTests {
    /// Calls function `f` on the given series (served from a temporary tree) and extra arguments.
    func run(_ f: String, _ series: [Series], extra: [TargetExpression] = []) throws -> [Series] {
        try call(f, series.map { TargetExpression.path($0.name) } + extra, over: series)
    }

    /// Calls function `f` with `arguments`, the paths in them served from `series`.
    func call(_ f: String, _ arguments: [TargetExpression], over series: [Series]) throws -> [Series] {
        var context = RenderContext(tree: FakeTree.tree(series), from: 1000, until: 1060) { name, _, _ in series.first { $0.name == name } }
        var args = Arguments(name: f, values: arguments, keywords: [:])
        return try Functions.table[f]!(&context, &args)
    }

    let a = Series(name: "a", start: 1000, end: 1060, step: 10, values: [1, nil, 3, 4, nil, 6])
    let b = Series(name: "b", start: 1000, end: 1060, step: 20, values: [10, nil, 30])

    @Test func sumSeriesConsolidatesToTheCommonStepAndSkipsNulls() throws {
        let out = try run("sumSeries", [a, b])
        // a at step 20 (average of pairs, nulls skipped): [1, 3.5, 6]; plus b [10, nil, 30]
        #expect(out.first?.values == [11, 3.5, 36] && out.first?.step == 20 && out.first?.name == "sumSeries(a,b)")
    }

    /// Python's sum starts from an integer 0, and 0 + -0.0 is 0.0: Graphite's sums, averages and differences
    /// never give -0.0, while max and min return the value they keep, -0.0 included.
    @Test func signsOfZeroAsPythonsSumAndMaxLeaveThem() throws {
        let negative = Series(name: "n", start: 1000, end: 1040, step: 10, values: [-0.0, -0.0, 0.0, nil])
        let positive = Series(name: "p", start: 1000, end: 1040, step: 10, values: [0.0, nil, -0.0, -0.0])
        func signs(_ f: String, _ list: [Series]) throws -> [FloatingPointSign?] {
            try run(f, list).first!.values.map { $0?.sign }
        }
        #expect(try signs("diffSeries", [negative, positive]) == [.plus, .plus, .plus, .plus])
        #expect(try signs("diffSeries", [negative]) == [.plus, .plus, .plus, nil])
        #expect(try signs("sumSeries", [negative]) == [.plus, .plus, .plus, nil])
        #expect(try signs("averageSeries", [negative, positive]) == [.plus, .plus, .plus, .plus])
        #expect(try signs("maxSeries", [negative, positive]) == [.minus, .minus, .plus, .minus])
        #expect(try signs("minSeries", [positive, negative]) == [.plus, .minus, .minus, .minus])
    }

    /// Graphite's JSON pairs a series' values with the timestamps `range(start, end + step, step)` through
    /// `zip`; `maxDataPoints` does the same at the consolidated step after its nudge (`prune_datapoints`).
    @Test func valuesPastAnEndAreNotWritten() {
        let long = Series(name: "m", start: 1000, end: 1040, step: 10, values: [1, 2, 3, 4, 5, 6, 7])
        #expect(long.writtenCount == 5)  // 1000, 1010, ..., 1040
        var offStep = long
        offStep.end = 1045
        #expect(offStep.writtenCount == 6)  // range(1000, 1055, 10) reaches 1050
        #expect(Series(name: "m", start: 1000, end: 1100, step: 10, values: [1, 2]).writtenCount == 2)
        // Four steps to two points: two values a point, the start nudged to 1020 and the first value dropped, so
        // [2, 3], [4, 5], [6, 7] average to 2.5, 4.5, 6.5, of which range(1020, 1050, 20) times the first two.
        let limited = long.limited(to: 2, start: 1000, end: 1040)
        #expect(limited.start == 1020 && limited.step == 20 && limited.values == [2.5, 4.5])
        #expect(limited.writtenCount == 2)
    }

    /// constantLine's three values sit at from, the middle and until: the last starts where the buckets end. It
    /// once indexed past them and stopped the server (Graphite fails on it with an IndexError).
    @Test func hitcountLeavesOutAValueFromTheSeriesEndOn() throws {
        let line = TargetExpression.call(name: "constantLine", arguments: [.number(-7)], keywords: [:])
        let out = try call("hitcount", [line, .string("10s")], over: [])
        // -7 a second from 1000 to 1030 and from 1030 to 1060: -70 in each of the six 10 s buckets.
        #expect(out.first?.values == [-70, -70, -70, -70, -70, -70] && out.first?.start == 1000 && out.first?.step == 10)
    }

    @Test func transformNullFillsOnlyWhereAReferenceSeriesHasAValue() throws {
        let reference = Series(name: "r", start: 1000, end: 1060, step: 10, values: [nil, 5, nil, nil, nil, 1])
        let out = try call("transformNull", [.path("a"), .number(0), .path("r")], over: [a, reference])
        // a is [1, nil, 3, 4, nil, 6]: its nulls at 1 and 4; r has a value at 1 only.
        #expect(out.first?.values == [1, 0, 3, 4, nil, 6] && out.first?.name == "transformNull(a,0,referenceSeries)")
    }

    /// resetEnd (Graphite's default) gives the shifted series the unshifted one's end; without it, the shifted
    /// series keeps its own length from the unshifted start.
    @Test func timeShiftKeepsItsOwnLengthWithoutResetEnd() throws {
        // A fetch that ends at 1030 at the latest: 1000-1030 for the request, 940-1000 a minute earlier.
        var context = RenderContext(tree: FakeTree.tree([a]), from: 1000, until: 1060) { name, from, until in
            let end = min(until, 1030)
            return Series(name: name, start: from, end: end, step: 10, values: Array(repeating: 1, count: (end - from) / 10))
        }
        for (resetEnd, end) in [(true, 1030), (false, 1060)] {
            var args = Arguments(name: "timeShift", values: [.path("a"), .string("1min"), .bool(resetEnd)], keywords: [:])
            let out = try Functions.table["timeShift"]!(&context, &args)
            #expect(out.first?.start == 1000 && out.first?.end == end, "resetEnd \(resetEnd)")
        }
    }

    /// Python's slice bounds, as `limit`'s `[:n]` and highestCurrent's `[-n:]` take them; expected values from
    /// `len(list(range(5))[:i])`.
    /// graphite-web's `reverse` is Python's `sort(reverse=True)`: still stable, so equal names keep their order.
    /// Natural order pads digit runs to ten digits, then compares code points (Graphite's `paddedName`).
    @Test func sortByNameReversesStablyAndPadsDigits() throws {
        func alias(_ s: Series, _ name: String) -> TargetExpression {
            .call(name: "alias", arguments: [.path(s.name), .string(name)], keywords: [:])
        }
        let list = TargetExpression.call(name: "group", arguments: [alias(a, "x"), alias(b, "y"), alias(b, "x")], keywords: [:])
        let out = try call("sortByName", [list, .bool(false), .bool(true)], over: [a, b])
        #expect(out.map(\.name) == ["y", "x", "x"] && out[1].step == a.step && out[2].step == b.step)
        #expect(Functions.paddedName("server2") == "server0000000002" && Functions.paddedName("a007b0") == "a0000000007b0000000000")
        #expect(Functions.paddedName("x12345678901234567890") == "x12345678901234567890")
    }

    @Test func countsSliceAsPythonSlices() {
        for (i, expected) in [(2, 2), (0, 0), (-1, 4), (-5, 0), (-7, 0), (7, 5), (Int.min, 0), (Int.max, 5)] {
            #expect(Functions.pythonIndex(i, count: 5) == expected, "\(i)")
        }
    }

    @Test func derivativesAndCounters() throws {
        let counter = Series(name: "c", start: 0, end: 50, step: 10, values: [10, 20, 5, nil, 30])
        #expect(try run("derivative", [counter]).first?.values == [nil, 10, -15, nil, nil])
        #expect(try run("nonNegativeDerivative", [counter]).first?.values == [nil, 10, nil, nil, nil])
        #expect(try run("nonNegativeDerivative", [counter], extra: [TargetExpression.number(25)]).first?.values == [nil, 10, 11, nil, nil])
        // graphite-render keeps the last value across a gap and doubles the step: (30 - 5) / 20.
        #expect(try run("perSecond", [counter]).first?.values == [nil, 1, nil, nil, 1.25])
        #expect(try run("integral", [counter]).first?.values == [10, 30, 35, nil, 65])
    }

    @Test func namesFollowGraphite() throws {
        #expect(try run("scale", [a], extra: [TargetExpression.number(2)]).first?.name == "scale(a,2)")
        #expect(try run("scale", [a], extra: [TargetExpression.number(0.5)]).first?.values == [0.5, nil, 1.5, 2, nil, 3])
        #expect(try run("transformNull", [a]).first?.values == [1, 0, 3, 4, 0, 6])
        #expect(try run("keepLastValue", [a]).first?.values == [1, 1, 3, 4, 4, 6])
        #expect(Functions.baseName("scale(sumSeries(x.y.z),2)") == "x.y.z")
        // As graphite-render: the first path of a name, sorted distinct paths in aggregate names, multiplySeries
        // named by its series (and one series passed through), rankings in ascending order but highestMax.
        #expect(Functions.baseName("maxSeries(keepLastValue(a.b.c),keepLastValue(a.b.d))") == "a.b.c")
        // Names that are no whole target, as graphite-render 1.1.8's _getFirstPathExpression reads them: the
        // target at the start, whatever follows; a call that does not close, the path before its '('.
        let starts = ["c,sumSeries(a": "c", "My Alias (x)": "My", "sumSeries(a": "sumSeries", "x)y": "x",
                      "sumSeries(a.b.c,a.b.d) extra": "a.b.c", "a.{b,c}.d(e": "a.{b,c}.d", "a&b.c": "a&b.c"]
        for (name, first) in starts { #expect(Functions.baseName(name) == first, "\(name)") }
        #expect(try run("sumSeries", [b, a]).first?.name == "sumSeries(a,b)")
        #expect(try run("diffSeries", [b, a]).first?.values == [9, 3.5, 24], "values keep the order given: b - a")
        #expect(try run("multiplySeries", [a]).map(\.name) == ["a"])
        #expect(try run("multiplySeries", [b, a]).first?.name == "multiplySeries(b,a)")
        let both = TargetExpression.call(name: "group", arguments: [.path("b"), .path("a")], keywords: [:])
        #expect(try call("highestCurrent", [both, .number(2)], over: [a, b]).map(\.name) == ["a", "b"])
        #expect(try call("lowestCurrent", [both, .number(1)], over: [a, b]).map(\.name) == ["a"])
        #expect(try call("highestMax", [both, .number(2)], over: [a, b]).map(\.name) == ["b", "a"])
        // A series without values sorts below every number (Python 2's None).
        let empty = Series(name: "e", start: 1000, end: 1060, step: 10, values: [nil, nil, nil, nil, nil, nil])
        let withEmpty = TargetExpression.call(name: "group", arguments: [.path("a"), .path("e")], keywords: [:])
        #expect(try call("highestCurrent", [withEmpty, .number(2)], over: [a, empty]).map(\.name) == ["e", "a"])
        #expect(try call("highestCurrent", [withEmpty, .number(1)], over: [a, empty]).map(\.name) == ["a"])
        #expect(try call("lowestCurrent", [withEmpty, .number(1)], over: [a, empty]).map(\.name) == ["e"])
        #expect(try run("groupByNode", [Series(name: "x.y", start: 1000, end: 1060, step: 10, values: [1])], extra: [.number(-1)]).map(\.name) == ["y"])
        #expect(pythonTemplate(#"\\1_"#) == #"\\1_"#, "an escaped backslash stays one")
        // Python's %g in function names (graphite-render writes `scale(a,1e+06)`), and `str` of a literal total.
        #expect(try run("scale", [a], extra: [TargetExpression.number(1_000_000)]).first?.name == "scale(a,1e+06)")
        #expect(try run("offset", [a], extra: [TargetExpression.number(-0.125)]).first?.name == "offset(a,-0.125)")
        #expect(try run("asPercent", [a], extra: [TargetExpression.number(200)]).first?.name == "asPercent(a,200)")
        #expect(try run("asPercent", [a], extra: [TargetExpression.number(2.5)]).first?.name == "asPercent(a,2.5)")
        // aliasSub's regex runs under a time limit: exponential backtracking is stopped and named (a 400).
        let long = Series(name: String(repeating: "a", count: 40) + "b", start: 1000, end: 1060, step: 10, values: [1])
        let started = Date()
        #expect(throws: RenderError.self) { try run("aliasSub", [long], extra: [.string("(a+)+$"), .string("x")]) }
        #expect(Date().timeIntervalSince(started) < 5)
        #expect(try run("aliasSub", [long], extra: [.string("a+b$"), .string("x")]).first?.name == "x")
        // Totals too large for an integer are named, not a crash.
        #expect(try run("asPercent", [a], extra: [TargetExpression.number(1e20)]).first?.name == "asPercent(a,1e+20)")
        #expect(try run("asPercent", [a], extra: [TargetExpression.number(.infinity)]).first?.name == "asPercent(a,inf)")
    }

    /// Graphite pairs dividend and divisor with Python's zip_longest: a shorter dividend (movingAverage's over a
    /// window past the retention) leaves the rows after it null, not cut off. Expected: zip_longest of
    /// [2, 4] and [1, nil, 3, 4, nil, 6] is (2, 1), (4, None), then None dividends.
    @Test func divideSeriesHasTheLongerOfItsTwoLengths() throws {
        let short = Series(name: "s", start: 1000, end: 1060, step: 10, values: [2, 4])
        let out = try run("divideSeries", [short, a])
        #expect(out.first?.values == [2, nil, nil, nil, nil, nil])
    }

    /// Beyond SPEC 5.1, where graphite-render cannot be the reference: delay as graphite-web 1.1 moves values
    /// (`[None] * min(steps, len) + series[:-steps]`, and `series[-steps:] + [None] * ...` when negative; 0 keeps
    /// them, where graphite-web's slice `[:-0]` would empty the series), countSeries of nothing (a constant line
    /// of 0), and Python's math.pow, which raises where graphite-render's safePow answers None.
    @Test func delayCountSeriesAndPowerAsPython() throws {
        func delayed(_ steps: Double) throws -> [Double?]? { try run("delay", [a], extra: [.number(steps)]).first?.values }
        #expect(try delayed(2) == [nil, nil, 1, nil, 3, 4])
        #expect(try delayed(-2) == [3, 4, nil, 6, nil, nil])
        #expect(try delayed(0) == a.values)
        #expect(try delayed(100) == Array(repeating: nil, count: 6))
        #expect(try delayed(-1e300) == Array(repeating: nil, count: 6))
        #expect(try run("delay", [a], extra: [.number(-2)]).first?.name == "delay(a,-2)")
        let none = try call("countSeries", [], over: [])
        #expect(none.first?.values == [0, 0, 0] && none.first?.pathExpression == "countSeries()")
        #expect(try run("countSeries", [a, b]).first?.values == [2, 2, 2])
        // math.pow(0, -1) and math.pow(-1, 0.5) raise ValueError, math.pow(1e-310, -1) OverflowError; an infinite
        // or NaN argument gives IEEE's answer.
        let powers: [(Double, Double, Double?)] = [(0, -1, nil), (-0.0, -1, nil), (-1, 0.5, nil), (.leastNonzeroMagnitude, -1, nil), (4, 0.5, 2),
                                                   (.infinity, -1, 0), (-.infinity, 0.5, .infinity), (8, -1, 0.125)]
        for (value, exponent, expected) in powers {
            #expect(Functions.pythonPow(value, exponent) == expected, "pow(\(value), \(exponent))")
        }
        #expect(Functions.pythonPow(.nan, -1)!.isNaN && Functions.pythonPow(nil, 2) == nil)
        // substr's slice of the nodes between the last '(' and the first ')', cut at a comma.
        let names = [("sumSeries(a.b.c,a.b.d)", -1, 0, "d"), ("a.b.c", 1, 0, "b.c"), ("a.b.c", 0, -1, "a.b"), ("a.b.c", 2, 1, ""),
                     ("scale(a.b.c,2)", 1, 2, "b"), ("x)y(z", 0, 0, ""), ("a.b.c", -10, 10, "a.b.c")]
        for (name, start, stop, expected) in names {
            #expect(Functions.substring(name, from: start, to: stop) == expected, "\(name)[\(start):\(stop)]")
        }
    }

    /// movingSum keeps graphite-render's running sum: once a window had a value it stays a number, 0 for a window
    /// of nulls (Python: window_sum = 1, then 1 - 1 = 0 and nothing added). A window of no points is null
    /// throughout (graphite-render fails on it). groupByNodes names a node past a name's end (a 400).
    @Test func movingSumsAndGroupsByNodes() throws {
        let lone = Series(name: "x.y", start: 1000, end: 1050, step: 10, values: [1, nil, nil, nil, 2])
        #expect(try run("movingSum", [lone], extra: [.number(1)]).first?.values == [1, 0, 0, 0])
        #expect(try run("movingSum", [lone], extra: [.number(0)]).first?.values == [nil, nil, nil, nil, nil])
        #expect(try run("movingMedian", [lone], extra: [.number(2)]).first?.values == [1, nil, nil])
        #expect(try run("groupByNodes", [lone], extra: [.string("sumSeries"), .number(1), .number(0)]).map(\.name) == ["y.x"])
        #expect(throws: RenderError.self) { try run("groupByNodes", [lone], extra: [.string("sumSeries"), .number(2)]) }
        // divideSeriesLists over two steps (graphite-render fails): a at b's 20 s is 1, 3.5, 6, over 10, nil, 30.
        let quotient = try call("divideSeriesLists", [.path("a"), .path("b")], over: [a, b]).first
        #expect(quotient?.values == [0.1, nil, 0.2] && quotient?.step == 20 && quotient?.name == "divideSeries(a,b)")
    }

    /// What graphite-render fails on or sorts otherwise: rangeOfSeries over rows with nulls (its Python 3 max of
    /// None), sortByMaxima highest first and sortByMinima over series with a maximum above 0 (graphite-web 1.1),
    /// and Graphite's nearest-rank percentile, worked by hand from its formula rank = n/100 * (count + 1).
    @Test func rangesSortsAndPercentilesOverNulls() throws {
        let c = Series(name: "c", start: 1000, end: 1060, step: 10, values: [2, 5, nil, 1, nil, 0])
        #expect(try run("rangeOfSeries", [a, c]).first?.values == [1, 0, 0, 3, nil, 6])
        let low = Series(name: "low", start: 1000, end: 1060, step: 10, values: [-1, -2, nil, nil, nil, nil])
        let empty = Series(name: "e", start: 1000, end: 1060, step: 10, values: [nil, nil, nil, nil, nil, nil])
        let list = TargetExpression.call(name: "group", arguments: [.path("low"), .path("a"), .path("e"), .path("c")], keywords: [:])
        // Maxima: low -1, a 6, e none, c 5. Minima: a 1, c 0; low's maximum is not above 0, nor e's.
        #expect(try call("sortByMaxima", [list], over: [low, a, empty, c]).map(\.name) == ["a", "c", "low", "e"])
        #expect(try call("sortByMinima", [list], over: [low, a, empty, c]).map(\.name) == ["c", "a"])
        // Totals: low -3, a 14, c 8, e none (last).
        #expect(try call("sortByTotal", [list], over: [low, a, empty, c]).map(\.name) == ["a", "c", "low", "e"])
        let tens: [Double?] = [7, nil, 3, 10, 1, 5, 2, 9, 4, 8, 6]
        for (n, expected) in [(50.0, 6.0), (90, 10), (100, 10), (5, 1), (10, 2)] {
            #expect(Functions.percentile(tens, n) == expected, "\(n)")
        }
        #expect(Functions.percentile(tens, 50, interpolate: true) == 5.5)
        #expect(Functions.percentile([nil], 50) == nil)
        // nPercentile: a line with one point fewer than the span's timestamps (int((end - start) / step)); a is 1, 3, 4, 6,
        // rank 0.5 * 5 = 2.5, up to 3: 4.
        #expect(try run("nPercentile", [a], extra: [.number(50)]).first?.values == [4, 4, 4, 4, 4, 4])
        #expect(throws: RenderError.self) { try run("nPercentile", [a], extra: [.number(0)]) }
        #expect(throws: RenderError.self) { try run("percentileOfSeries", [a], extra: [.number(101)]) }
    }
}

@Suite struct FunctionSignatureTests {
    @Test func everyFunctionIsDescribedAndNothingElse() {
        #expect(Set(Functions.signatures.keys) == Set(Functions.names))
        for (name, signature) in Functions.signatures {
            #expect(signature.name == name && !signature.description.isEmpty && !signature.group.isEmpty)
        }
    }

    /// Every described parameter is accepted by that name as a keyword argument, so Grafana's editor and
    /// hand-written `f(x, name=value)` both work.
    @Test func describedParametersAreAcceptedAsKeywords() throws {
        let series = [Series(name: "web.a", start: 1000, end: 1060, step: 10, values: [1, 2, 3, 4, 5, 6]),
                      Series(name: "web.b", start: 1000, end: 1060, step: 10, values: [6, 5, 4, 3, 2, 1])]
        let samples: [String: TargetExpression] = [
            "float": .number(2), "integer": .number(1), "intOrInf": .number(1), "string": .string("x"), "boolean": .bool(true),
            "interval": .string("20s"), "intOrInterval": .number(2), "node": .number(0), "any": .number(100),
            "seriesList": .path("web.a"), "seriesLists": .path("web.*"),
        ]
        for (name, signature) in Functions.signatures {
            var positional: [TargetExpression] = []
            var keywords: [String: TargetExpression] = [:]
            for (n, p) in signature.parameters.enumerated() {
                var value = samples[p.type] ?? .number(1)
                if let option = p.options.first { value = .string(option) }
                if name == "aliasSub" && p.name == "search" { value = .string("web") }
                if n == 0 && p.type.hasPrefix("series") { positional.append(value) } else { keywords[p.name] = value }
            }
            var context = RenderContext(tree: FakeTree.tree(series), from: 1000, until: 1060) { path, _, _ in series.first { $0.name == path } }
            do {
                _ = try context.evaluate(.call(name: name, arguments: positional, keywords: keywords))
            } catch {
                Issue.record("\(name)(\(keywords.keys.sorted())): \(error.message)")
            }
        }
    }

    /// What a Python call of the Graphite function refuses is a 400, not silently ignored: an argument past its
    /// last parameter, a keyword it does not have, a parameter given twice. A function whose last parameter takes
    /// many takes any number.
    @Test func argumentsNoParameterTakesAreRefused() throws {
        let series = [Series(name: "web.a", start: 1000, end: 1060, step: 10, values: [1, 2, 3, 4, 5, 6])]
        func message(_ target: String) -> String? {
            var context = RenderContext(tree: FakeTree.tree(series), from: 1000, until: 1060) { path, _, _ in series.first { $0.name == path } }
            do {
                _ = try context.evaluate(try ExpressionParser.parse(target))
                return nil
            } catch let error as RenderError {
                return error.message
            } catch {
                return "\(error)"
            }
        }
        let refused = [
            "scale(web.a,2,3)": "scale: takes at most 2 arguments, 3 given",
            "absolute(web.a,web.a)": "absolute: takes at most 1 arguments, 2 given",
            "constantLine(1,2)": "constantLine: takes at most 1 arguments, 2 given",
            "summarize(web.a,'1min','sum',false,1)": "summarize: takes at most 4 arguments, 5 given",
            "scale(web.a,factr=2)": "scale: has no parameter 'factr'",
            "scale(web.a,2,factor=3)": "scale: 'factor' is given twice",
            "sumSeries(scale(web.a,1,1))": "scale: takes at most 2 arguments, 3 given",
        ]
        for (target, expected) in refused { #expect(message(target) == expected, "\(target)") }
        for target in ["sumSeries(web.a,web.a,web.a,web.a)", "aliasByNode(web.a,0,1,0,1)", "scale(web.a,factor=2)",
                       "summarize(web.a,'1min',alignToFrom=true,func='max')", "group()", "sumSeries(web.a)"] {
            #expect(message(target) == nil, "\(target)")
        }
    }
}

/// A metric tree made of the given series names, in a temporary directory.
enum FakeTree {
    static func tree(_ series: [Series]) -> MetricTree {
        let root = temporaryDirectory()
        for s in series {
            let path = root + "/" + s.name.split(separator: ".").joined(separator: "/") + ".wsp"
            try? FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            FileManager.default.createFile(atPath: path, contents: Data())
        }
        return MetricTree(root: root)
    }
}

@Suite struct GlobTests {
    /// Listings are kept while the directory is unchanged; a new or removed series shows at the next request.
    @Test func findSeesNewAndRemovedSeriesAtOnceThoughListingsAreKept() throws {
        let tree = FakeTree.tree([Series(name: "app.a", start: 0, end: 10, step: 10, values: [nil])])
        let dir = tree.root + "/app"
        try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSinceNow: -60)], ofItemAtPath: dir)
        #expect(try tree.expand("app.*") == ["app.a"])
        #expect(try tree.expand("app.*") == ["app.a"], "served from the kept listing")
        FileManager.default.createFile(atPath: dir + "/b.wsp", contents: Data())
        #expect(try tree.expand("app.*") == ["app.a", "app.b"])
        try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSinceNow: -30)], ofItemAtPath: dir)
        #expect(try tree.expand("app.*") == ["app.a", "app.b"])
        try FileManager.default.removeItem(atPath: dir + "/a.wsp")
        #expect(try tree.expand("app.*") == ["app.b"])
    }

    /// `a.b` beside `a.b.c` is a series and a branch at once: both show, and the series is still found,
    /// by a glob and by its exact name.
    /// Files copied into a tenant's tree by hand may have names no series has (Telewall writes and imports only
    /// `[A-Za-z0-9_-]` segments, and render reads only those): the tree does not list what render cannot read.
    @Test func namesNoSeriesCanHaveAreNotListed() throws {
        let tree = FakeTree.tree(["app.ok", "app.good.s"].map { Series(name: $0, start: 0, end: 10, step: 10, values: [nil]) })
        for odd in ["a b.wsp", "é.wsp", "a:b.wsp", ".hidden.wsp", "a+b.wsp", ".wsp", "x y/s.wsp", "日本/s.wsp"] {
            let path = tree.root + "/app/" + odd
            try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            FileManager.default.createFile(atPath: path, contents: Data())
        }
        try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSinceNow: -60)], ofItemAtPath: tree.root + "/app")
        let expected = [MetricTree.Node(path: "app.good", isLeaf: false), MetricTree.Node(path: "app.ok", isLeaf: true)]
        #expect(try tree.find("app.*") == expected)
        #expect(try tree.find("app.?") == [])
        #expect(try tree.expand("app.*.*") == ["app.good.s"])
    }

    @Test func aNameThatIsBothSeriesAndBranchIsBoth() throws {
        let tree = FakeTree.tree(["app.b", "app.b.c", "app.d"].map { Series(name: $0, start: 0, end: 10, step: 10, values: [nil]) })
        let both = [MetricTree.Node(path: "app.b", isLeaf: false), MetricTree.Node(path: "app.b", isLeaf: true)]
        #expect(try tree.find("app.*") == both + [MetricTree.Node(path: "app.d", isLeaf: true)])
        #expect(try tree.find("app.b") == both)
        #expect(try tree.find("app.{b,b}") == both, "braces naming a path twice still give each node once")
        #expect(try tree.expand("app.b") == ["app.b"])
        #expect(try tree.expand("app.b*") == ["app.b"])
        #expect(try tree.expand("app.b.c") == ["app.b.c"])
        #expect(try tree.find("app.x").isEmpty && tree.find("app.b.x").isEmpty)
    }

    /// Graphite's index: every series, a series that is also a branch with those under it, in code point order
    /// (`Z` before `a` before `é`, as Python sorts); none past the limit.
    @Test func theIndexListsEverySeriesInCodePointOrder() throws {
        let names = ["app.b", "app.b.c", "app.d", "Zed.x", "app._c", "app.B-1", "top"]
        let tree = FakeTree.tree(names.map { Series(name: $0, start: 0, end: 10, step: 10, values: [nil]) })
        #expect(tree.allSeries(limit: 100) == ["Zed.x", "app.B-1", "app._c", "app.b", "app.b.c", "app.d", "top"])
        // 7 series and 3 directories (Zed, app, app/b).
        #expect(tree.allSeries(limit: 9) == nil)
        #expect(tree.allSeries(limit: 10)?.count == 7)
    }

    /// Random well-formed globs against random names, checked with a regular expression built from the glob
    /// (the translation Graphite makes through fnmatch), by Foundation's regex engine.
    @Test func globsMatchAsTheirRegularExpressionsDo() throws {
        var rng = SystemRandomNumberGenerator()
        func pick(_ s: String) -> Character { s.randomElement(using: &rng)! }
        for _ in 0..<800 {
            var glob = "", regex = "^"
            for _ in 0..<Int.random(in: 1...5, using: &rng) {
                switch Int.random(in: 0..<6, using: &rng) {
                case 0: glob += "*"; regex += "[^.]*"
                case 1: glob += "?"; regex += "[^.]"
                case 2:
                    let negated = Bool.random(using: &rng)
                    let item = Bool.random(using: &rng) ? "a-b" : String(pick("abc"))
                    glob += "[\(negated ? "!" : "")\(item)]"
                    regex += "[\(negated ? "^" : "")\(item)]"
                case 3:
                    let choices = (0..<Int.random(in: 1...3, using: &rng)).map { _ in String(pick("abc")) + String(pick("bc-")) }
                    glob += "{" + choices.joined(separator: ",") + "}"
                    regex += "(?:" + choices.map(NSRegularExpression.escapedPattern).joined(separator: "|") + ")"
                default:
                    let c = String(pick("abc-"))
                    glob += c
                    regex += NSRegularExpression.escapedPattern(for: c)
                }
            }
            let oracle = try NSRegularExpression(pattern: regex + "$")
            let segment = try GlobSegment(glob)
            for _ in 0..<20 {
                let name = String((0..<Int.random(in: 0...6, using: &rng)).map { _ in pick("abc-.é") })
                let expected = oracle.firstMatch(in: name, range: NSRange(name.startIndex..., in: name)) != nil
                #expect(segment.matches(name) == expected, "\(glob) ~ \(name)")
            }
        }
    }

    /// As Graphite's finders read them: Python's fnmatch for sets, its expand_braces for braces.
    @Test func setsAndBracesAsGraphitesFindersReadThem() throws {
        let cases: [(String, [String], [String])] = [
            ("[^a]", ["^", "a"], ["b"]),  // '^' is a member, not a negation
            ("[]a]", ["]", "a"], ["b"]), ("[!]a]", ["b"], ["]", "a"]),  // a ']' first is a member
            ("[b-a]", [], ["a", "b", "-"]), ("[xb-a]", ["x"], ["a", "b", "-"]), ("[!b-a]", ["a", "-"], []),  // backwards: nothing
            ("{a,{b,c}}", ["a", "b", "c"], ["{b", "c}"]), ("x{a,{b,{c,d}}}y", ["xay", "xdy"], ["xy"]),  // nested
            ("a{b,}", ["a", "ab"], ["b"]), ("{,a}b", ["b", "ab"], ["a"]), ("{a,b}{", ["a{", "b{"], ["a"]),
        ]
        for (glob, matching, notMatching) in cases {
            let segment = try GlobSegment(glob)
            for name in matching { #expect(segment.matches(name), "\(glob) ~ \(name)") }
            for name in notMatching { #expect(!segment.matches(name), "\(glob) !~ \(name)") }
        }
        #expect(try ExpressionParser.parse("a.[]a]*.[!],]") == .path("a.[]a]*.[!],]"))
    }

    @Test func findMatchesGraphiteGlobsWithinTheTree() throws {
        let tree = FakeTree.tree(["stats.a1.x", "stats.a2.x", "stats.b.x", "stats.ab.y", "other.z"].map {
            Series(name: $0, start: 0, end: 10, step: 10, values: [nil])
        })
        #expect(try tree.expand("stats.a?.x") == ["stats.a1.x", "stats.a2.x"])
        #expect(try tree.expand("stats.{b,ab}.*") == ["stats.ab.y", "stats.b.x"])
        #expect(try tree.expand("stats.a[0-1].x") == ["stats.a1.x"])
        #expect(try tree.expand("*.*.*").count == 4)
        #expect(try tree.find("stats.*").map(\.isLeaf) == [false, false, false, false])
        for hostile in ["..", "stats/../other.z", "/etc/passwd", "stats..a1", "stats.*/../*"] {
            #expect(try tree.expand(hostile).isEmpty, "\(hostile)")
        }
        // Braces multiply: ten pairs spell 1,024 patterns, one past the limit (once: 2^22 patterns hung a thread).
        #expect(try tree.expand("stats.{a1,b}" + String(repeating: "{,x}", count: 8) + ".x") == ["stats.a1.x", "stats.b.x"])
        for braces in [10, 22, 150] {
            #expect(throws: RenderError.self) { try tree.expand("stats." + String(repeating: "{a,b}", count: braces) + ".x") }
        }
        let eleven = "{" + (0..<11).map(String.init).joined(separator: ",") + "}"
        #expect(throws: RenderError.self) { try tree.find("stats." + eleven + eleven + eleven) }
        #expect(try tree.find("stats." + String(repeating: "{a,b}", count: 250)).isEmpty, "a query past 1,000 bytes finds nothing")
    }
}

@Suite struct TimedRegexTests {
    /// The same text as NSRegularExpression's own replacement, on anchors, groups, empty matches and non-ASCII names.
    @Test(arguments: [
        ("^a\\.b\\.", "x_"), ("(^.*$)", "$1"), ("\\.", "_"), ("x*", "-"), ("(\\w+)\\.(\\w+)", "$2.$1"), ("é", "e"), ("$", "!"),
        ("[0-9]+", "<$0>"), ("nomatch", "z"),
    ])
    func replacesAsNSRegularExpression(pattern: String, template: String) throws {
        let regex = try #require(TimedRegex(pattern))
        let reference = try NSRegularExpression(pattern: pattern)
        for name in ["a.b.c", "app.web1.requests", "", "café.naïve.ü1", "servers.web-01.cpu.42", "x.xx.xxx"] {
            let expected = reference.stringByReplacingMatches(in: name, range: NSRange(name.startIndex..., in: name), withTemplate: template)
            #expect(regex.replacingMatches(in: name, template: template, deadline: .infinity) == expected, "\(pattern) on \(name)")
        }
    }
}

extension FunctionTests {
    /// aliasSub's budget is CPU time: renaming that costs well under it passes even when the render waits for a
    /// CPU behind busy threads for longer than the budget in wall time, as it can on a loaded server.
    @Test func aliasSubsBudgetIgnoresTimeSpentWaitingForACPU() throws {
        /// aliasSub with a pattern that backtracks in time cubic in the name's length (and never matches) over
        /// one series named `app.` and `length` letters, in nodes of at most 100.
        func aliasSub(length: Int) throws -> [Series] {
            let letters = String(repeating: "a", count: length)
            let nodes = stride(from: 0, to: length, by: 100).map { String(letters.dropFirst($0).prefix(100)) }
            let series = [Series(name: (["app"] + nodes).joined(separator: "."), start: 1000, end: 1060, step: 10, values: [1])]
            var context = RenderContext(tree: FakeTree.tree(series), from: 1000, until: 1060) { _, _, _ in series[0] }
            var args = Arguments(name: "aliasSub", values: [.path(series[0].name), .string("^(.*)(.*)(.*)x$"), .string("y")], keywords: [:])
            return try Functions.table["aliasSub"]!(&context, &args)
        }
        // A length whose renaming costs about 0.6 of the budget in CPU time, found here.
        let sampleLength = 120
        let before = threadCPUSeconds()
        _ = try aliasSub(length: sampleLength)
        let sampleCost = max(1e-6, threadCPUSeconds() - before)
        let length = Int(Double(sampleLength) * pow(0.6 * Functions.regexSeconds / sampleCost, 1.0 / 3))
        // Eight spinning threads per core, all running before the call, leave this one about a ninth of a CPU.
        let spinning = Atomic<Bool>(true), started = Atomic<Int>(0)
        let spinners = DispatchGroup(), count = 8 * ProcessInfo.processInfo.activeProcessorCount
        for _ in 0..<count {
            spinners.enter()
            Thread.detachNewThread {
                started.add(1, ordering: .relaxed)
                var x = 0
                while spinning.load(ordering: .relaxed) { x &+= 1 }
                spinners.leave()
            }
        }
        while started.load(ordering: .relaxed) < count { usleep(1000) }
        let (wallStart, cpuStart) = (monotonicSeconds(), threadCPUSeconds())
        let renamed = try aliasSub(length: length)
        let (wall, cpu) = (monotonicSeconds() - wallStart, threadCPUSeconds() - cpuStart)
        spinning.store(false, ordering: .relaxed)
        spinners.wait()
        #expect(renamed.first?.name.filter { $0 == "a" }.count == length + 1, "no match, so the name is kept")
        #expect(wall > Functions.regexSeconds, "the wait was long enough to fail a wall-clock budget (wall \(wall) s, CPU \(cpu) s)")
    }
}

@Suite struct MutatedInputTests {
    /// Seeded random edits of valid targets and times: each parses or fails with an error, never a trap.
    @Test func mutatedTargetsAndTimesParseOrFailNeverATrap() {
        let alphabet = "-+0123456789.eE(),'\"*?[]{}_:a ;\\\u{0}zé"
        let targets = ["sumSeries(app.*.requests)", "aliasSub(a.b.c,'(^.*$)','\\1')", "summarize(x.y,'1h','sum',true)", "scale(a.{b,c}.d,-1.5e3)", "f(a=1,b='x',c=true)"]
        let parsed = acceptedMutations(of: targets, alphabet: alphabet, count: 50_000, seed: 7) {
            (try? ExpressionParser.parse(String(decoding: $0, as: UTF8.self))) != nil
        }
        #expect(parsed > 5_000 && parsed < 45_000, "\(parsed) of 50,000 parsed")
        let times = ["-1h", "now-5min", "12:30_20201231", "1700000000", "20201231", "-2mon", "+3y", "noon monday+2h", "6pm_jan8",
                     "12/31/99"]
        let alphabet2 = alphabet + "/mnoadyptu"
        for (seed, zone) in [(8, TimeSpec.utc), (9, TimeZone(identifier: "Europe/Berlin")!), (10, TimeZone(identifier: "Pacific/Chatham")!)] {
            let read = acceptedMutations(of: times, alphabet: alphabet2, count: 30_000, seed: UInt64(seed)) {
                TimeSpec.parse(String(decoding: $0, as: UTF8.self), now: 1_700_000_000, timeZone: zone).map(TimeSpec.range.contains) == true
            }
            #expect(read > 1_000 && read < 27_000, "\(zone.identifier): \(read) of 30,000 read within the range")
        }
    }
}
