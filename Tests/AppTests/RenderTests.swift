import Foundation
import Testing
import TestSupport
import Whisper

@testable import App
@testable import HTTP

extension ResponseBody {
    var text: String { withUnsafeBytes { String(decoding: $0, as: UTF8.self) } }
}

@Suite struct RenderTests {
    /// Two tenants with data written through the engine at known times.
    func setUp() throws -> (RunningApp, (cookie: String, token: String), (cookie: String, token: String), Int) {
        let t = try RunningApp()
        let a = try t.signUp("a@example.com")
        let b = try t.signUp("b@example.com")
        let now = Int(Date().timeIntervalSince1970) / 10 * 10
        let tenantA = try #require(try t.app.store.account(email: "a@example.com")).tenantID
        let tenantB = try #require(try t.app.store.account(email: "b@example.com")).tenantID
        t.app.storage.add(tenant: tenantA, flush: [("app.web1.requests", Point(now - 20, 1)), ("app.web2.requests", Point(now - 20, 2))])
        t.app.storage.add(tenant: tenantA, flush: [("app.web1.requests", Point(now - 10, 3)), ("app.web2.requests", Point(now - 10, 5))])
        t.app.storage.add(tenant: tenantB, flush: [("secret.db.password", Point(now - 10, 42))])
        // New series appear in the tree once their files exist (reads see buffered points of known series at once).
        #expect(eventually { t.app.storage.stats.buffered.load(ordering: .relaxed) == 0 })
        return (t, a, b, now)
    }

    func json(_ r: RawResponse) -> [[String: Any]] { (try? JSONSerialization.jsonObject(with: Data(r.body))) as? [[String: Any]] ?? [] }

    @Test func renderReturnsGraphiteJSONWithFunctions() throws {
        let (t, a, _, now) = try setUp()
        let r = try t.call("GET", "/render?target=sumSeries(app.*.requests)&from=-1min&format=json", headers: ["Cookie": a.cookie])
        #expect(r.status == 200)
        let series = json(r)
        #expect(series.first?["target"] as? String == "sumSeries(app.*.requests)")
        let points = series.first?["datapoints"] as? [[Any]] ?? []
        let byTime = Dictionary(points.compactMap { p -> (Int, Double)? in
            guard let v = p[0] as? Double, let ts = p[1] as? Int else { return nil }
            return (ts, v)
        }, uniquingKeysWith: { x, _ in x })
        #expect(byTime[now - 20] == 3 && byTime[now - 10] == 8)
        #expect(r.text.contains("3.0,"), "values are written as Graphite writes floats")
        let grafana = try t.call(
            "POST", "/render",
            json: "target=constantLine(100)&target=aliasSub(app.web1.requests,%20'(%5E.*%24)',%20'%5C1')&from=-5min&until=now&format=json&maxDataPoints=100",
            headers: ["Cookie": a.cookie, "Content-Type": "application/x-www-form-urlencoded"])
        #expect(grafana.status == 200)
        #expect(json(grafana).map { $0["target"] as? String } == ["100", "app.web1.requests"])
        let csv = try t.call("GET", "/render?target=app.web1.requests&from=-1min&format=csv", headers: ["Cookie": a.cookie])
        #expect(csv.text.contains("app.web1.requests,") && csv.text.contains(",3.0\r\n"))
    }

    @Test func badTargetsGet400NamingTheProblem() throws {
        let (t, a, _, _) = try setUp()
        let r = try t.call("GET", "/render?target=sumSeries(app.*", headers: ["Cookie": a.cookie])
        #expect(r.status == 400 && r.text.contains("missing ')'") && r.text.contains("position"))
        let unknown = try t.call("GET", "/render?target=frobnicate(app.*)", headers: ["Cookie": a.cookie])
        #expect(unknown.status == 400 && unknown.text.contains("unknown function frobnicate"))
    }

    @Test func noPathReachesAnotherTenant() throws {
        let (t, a, b, _) = try setUp()
        let tenantB = try #require(try t.app.store.account(email: "b@example.com")).tenantID
        let attempts = [
            "secret.db.password", "*.*.*", "*.*.*.*", "..%2F\(tenantB).secret.db.password", "%2E%2E.\(tenantB).secret.db.password",
            "..\\/\(tenantB)", "/etc/passwd", "\(tenantB).secret.db.password", "{app,secret}.*.*", String(repeating: "a.", count: 600) + "b",
        ]
        for target in attempts {
            let r = try t.call("GET", "/render?target=\(target)&from=-1h", headers: ["Cookie": a.cookie])
            #expect(!r.text.contains("42.0"), "\(target)")
            let found = try t.call("GET", "/metrics/find?query=\(target)", headers: ["Cookie": a.cookie])
            #expect(!found.text.contains("secret"), "\(target)")
        }
        // B sees its own, by read key too; an ingest token reads nothing.
        #expect(try t.call("GET", "/render?target=secret.db.password&from=-1h", headers: ["Cookie": b.cookie]).text.contains("42.0"))
        #expect(try t.call("GET", "/render?target=secret.db.password", headers: ["Authorization": "Bearer \(b.token)"]).status == 403)
        #expect(try t.call("GET", "/render?target=app.*", headers: [:]).status == 401)
        #expect(try t.call("GET", "/metrics/find?query=*", headers: [:]).status == 401)
    }

    /// `/metrics/index.json` lists the reader's own series only, and takes the same credentials as find.
    @Test func theIndexListsOnlyTheReadersSeries() throws {
        let (t, a, b, _) = try setUp()
        let index = try t.call("GET", "/metrics/index.json", headers: ["Cookie": a.cookie])
        #expect(index.status == 200)
        #expect((try? JSONSerialization.jsonObject(with: Data(index.body))) as? [String] == ["app.web1.requests", "app.web2.requests"])
        let other = try t.call("POST", "/metrics/index.json", headers: ["Cookie": b.cookie])
        #expect((try? JSONSerialization.jsonObject(with: Data(other.body))) as? [String] == ["secret.db.password"])
        #expect(try t.call("GET", "/metrics/index.json", headers: ["Authorization": "Bearer \(b.token)"]).status == 403)
        #expect(try t.call("GET", "/metrics/index.json", headers: [:]).status == 401)
    }

    /// Numbers past what an `Int` holds, in arguments, intervals, times and parameters: each one an answer (the
    /// whole list once crashed the server, a trap in a conversion or in arithmetic), and the server still serves.
    @Test func extremeNumbersGetAnswersNotACrash() throws {
        let (t, a, _, _) = try setUp()
        let badTimes = [
            "from=-99999999999999999y", "from=-9223372036854775807s", "until=9223372036854775807", "from=now-99999999999999999999999d",
            "from=99:99_20200101", "from=00:00_20201399", "from=-1e5s",
        ]
        for query in badTimes {
            let r = try t.call("GET", "/render?target=app.web1.requests&\(query)", headers: ["Cookie": a.cookie])
            #expect(r.status == 400 && r.text.contains("bad_time"), "\(query)")
        }
        let badTargets = [
            "groupByNode(app.*.requests,1e19,'sumSeries')", "movingAverage(app.web1.requests,1e18)", "movingAverage(app.web1.requests,-5)",
            "movingAverage(app.web1.requests,'99999999999999999y')", "summarize(app.web1.requests,'99999999999999999y')",
            "hitcount(app.web1.requests,'999999999999999999y')", "timeShift(app.web1.requests,'-9223372036854775807s')",
        ]
        // A year in one-second buckets is 31.5 million points: refused before any is made.
        for target in ["summarize(app.*.requests,'1s')", "hitcount(app.web1.requests,'1s')"] {
            let r = try t.call("GET", "/render?target=\(target)&from=-1y", headers: ["Cookie": a.cookie])
            #expect(r.status == 400 && r.text.contains("the most is 10000000"), "\(target)")
        }
        for target in badTargets {
            let r = try t.call("GET", "/render?target=\(target)", headers: ["Cookie": a.cookie])
            #expect(r.status == 400 && r.text.contains("bad_target"), "\(target)")
        }
        let answered = [
            "limit(app.*.requests,1e300)": 2, "highestCurrent(app.*.requests,-1e300)": 0, "aliasByNode(app.*.requests,1e19)": 2,
            "aliasByNode(app.*.requests,-1e19)": 2, "asPercent(app.web1.requests,1e20)": 1, "scale(app.web1.requests,1e308)": 1,
            "keepLastValue(app.web1.requests,1e19)": 1, "timeShift(app.web1.requests,'3000y')": 0,
        ]
        for (target, count) in answered {
            let r = try t.call("GET", "/render?target=\(target)", headers: ["Cookie": a.cookie])
            #expect(r.status == 200 && json(r).count == count, "\(target)")
        }
        for (value, status) in [("nan", 400), ("inf", 400), ("abc", 400), ("1e300", 200), ("-5", 200), ("1", 200)] {
            let r = try t.call("GET", "/render?target=app.web1.requests&maxDataPoints=\(value)", headers: ["Cookie": a.cookie])
            #expect(r.status == status, "maxDataPoints=\(value)")
        }
        #expect(try t.call("GET", "/render?target=app.web1.requests&from=-1min", headers: ["Cookie": a.cookie]).text.contains("3.0"))
    }

    @Test func bracesThatSpellTooManyPatternsGet400() throws {
        let (t, a, _, _) = try setUp()
        let braces = String(repeating: "%7Ba,b%7D", count: 22)
        let render = try t.call("GET", "/render?target=app.\(braces).requests", headers: ["Cookie": a.cookie])
        #expect(render.status == 400 && render.text.contains("bad_target") && render.text.contains("more than 1000 patterns"))
        for endpoint in ["/metrics/find", "/metrics/expand"] {
            let r = try t.call("GET", "\(endpoint)?query=app.\(braces)", headers: ["Cookie": a.cookie])
            #expect(r.status == 400 && r.text.contains("bad_query"), "\(endpoint)")
        }
        #expect(try t.call("GET", "/metrics/expand?query=app.%7Bweb1,web2%7D.requests", headers: ["Cookie": a.cookie]).status == 200)
    }

    @Test func findExpandAndTheGraphiteEndpointsGrafanaCalls() throws {
        let (t, a, _, now) = try setUp()
        let found = try t.call("GET", "/metrics/find?query=app.*", headers: ["Cookie": a.cookie])
        let nodes = (try? JSONSerialization.jsonObject(with: Data(found.body))) as? [[String: Any]] ?? []
        #expect(nodes.map { $0["id"] as? String } == ["app.web1", "app.web2"])
        #expect(nodes.allSatisfy { $0["leaf"] as? Int == 0 && $0["expandable"] as? Int == 1 })
        let leaves = try t.call("GET", "/metrics/find?query=app.web1.*", headers: ["Cookie": a.cookie])
        #expect(leaves.text.contains("\"leaf\":1") && leaves.text.contains("\"text\":\"requests\""))
        let expanded = try t.call("GET", "/metrics/expand?query=app.*.requests", headers: ["Cookie": a.cookie])
        #expect(expanded.json["results"] as? [String] == ["app.web1.requests", "app.web2.requests"])
        // As Grafana's editor asks: the query in a form body, the time range in the URL.
        let form = ["Cookie": a.cookie, "Content-Type": "application/x-www-form-urlencoded"]
        let posted = try t.client().request("POST", "/metrics/find?from=-6h&until=now", headers: form, body: Array("query=app.*".utf8))
        #expect(posted?.status == 200 && posted?.body == found.body)
        let postedExpand = try t.client().request("POST", "/metrics/expand", headers: form, body: Array("query=app.web1.*&leavesOnly=1".utf8))
        #expect(postedExpand?.json["results"] as? [String] == ["app.web1.requests"])
        #expect(try t.call("GET", "/version", headers: ["Cookie": a.cookie]).text == "1.1.10")
        #expect(try t.call("GET", "/tags/autoComplete/tags", headers: ["Cookie": a.cookie]).text == "[]")
        #expect(try t.call("GET", "/tags/autoComplete/values?tag=name", headers: ["Cookie": a.cookie]).text == "[]")
        let functions = try t.call("GET", "/functions", headers: ["Cookie": a.cookie]).json
        let summarize = try #require(functions["summarize"] as? [String: Any])
        let params = summarize["params"] as? [[String: Any]] ?? []
        #expect(params.map { $0["name"] as? String } == ["seriesList", "intervalString", "func", "alignToFrom"])
        #expect(params.map { $0["type"] as? String } == ["seriesList", "interval", "aggFunc", "boolean"])
        #expect(params[2]["default"] as? String == "sum" && summarize["group"] as? String == "Transform")
        // Every function a target may call, SPEC 5.1's and those beyond it, and nothing else.
        #expect(functions.count == 87 && functions["sortByName"] != nil && functions["aliasByMetric"] != nil)

        // Branches before leaves, as Graphite lists them, whatever their names.
        let tenant = try #require(try t.app.store.account(email: "a@example.com")).tenantID
        t.app.storage.add(tenant: tenant, flush: [("app.aaa", Point(now - 10, 1)), ("app.zzz.requests", Point(now - 10, 1))])
        #expect(eventually { t.app.storage.stats.buffered.load(ordering: .relaxed) == 0 })
        let mixed = json(try t.call("GET", "/metrics/find?query=app.*", headers: ["Cookie": a.cookie]))
        #expect(mixed.map { $0["id"] as? String } == ["app.web1", "app.web2", "app.zzz", "app.aaa"])
    }
}

@Suite struct ByteWriterTests {
    /// CSV's times, read through a day broken down once, against Foundation's calendar: runs of points with
    /// steps from a second to more than a day, across midnights, month and year ends, leap days and 1970,
    /// each run starting anywhere (before the last one too).
    @Test func dateTimesMatchFoundationsCalendar() {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        func expected(_ t: Int) -> String {
            let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: Date(timeIntervalSince1970: Double(t)))
            return String(format: "%04d-%02d-%02d %02d:%02d:%02d", c.year!, c.month!, c.day!, c.hour!, c.minute!, c.second!)
        }
        var rng = SystemRandomNumberGenerator()
        var writer = ByteWriter(capacity: 1)
        var day = CalendarDay()
        var times: [Int] = []
        let edges = [0, -1, 951_782_400 - 5, 1_704_067_200 - 3, 4_107_542_400 - 86_400]  // 1970, 2000-02-29, 2024, 2100-03-01
        for run in 0..<300 {
            let start = run < edges.count ? edges[run] : Int.random(in: -2_000_000_000...100_000_000_000, using: &rng)
            let step = [1, 7, 10, 60, 3_599, 86_399, 86_400, 90_001].randomElement(using: &rng)!
            for i in 0..<200 { times.append(start + i * step) }
        }
        for t in times {
            writer.appendDateTime(wallClock: t, day: &day)
            writer.append(byte: UInt8(ascii: "\n"))
        }
        let got = writer.finish().text.split(separator: "\n").map(String.init)
        let want = times.map(expected)
        #expect(got.count == want.count)
        let wrong = zip(times, zip(got, want)).filter { $1.0 != $1.1 }
        #expect(wrong.isEmpty, "\(wrong.prefix(5))")
    }

    @Test func integersAndFloatsAreWrittenAsSwiftAndPythonWriteThem() {
        var rng = SystemRandomNumberGenerator()
        var integers = [0, 1, -1, 9, 10, 99, 100, 101, 999, 1000, 1_700_000_000, Int.max, Int.min + 1, Int.min]
        integers += (0..<2000).map { _ in Int.random(in: Int.min...Int.max, using: &rng) >> Int.random(in: 0...62, using: &rng) }
        var writer = ByteWriter(capacity: 1)
        for n in integers {
            writer.appendInteger(n)
            writer.append(byte: UInt8(ascii: " "))
        }
        #expect(writer.finish().text == integers.map { String($0) + " " }.joined())

        // Timestamps kept as digits while they advance: into and out of the range that takes the table (10,000
        // to 10^12), across each 10,000, by steps below and above 10,000; nulls kept or dropped.
        let runs = [(0, 1), (1_699_999_990, 10), (999_999_940, 60), (-35, 10), (9_995, 1), (-30_000, 7), (1, 86_400),
                    (5_000, 20_000), (99_999_999_000, 7), (999_999_998_000, 1), (1_699_999_990, 10_000)]
        for (start, step) in runs {
            for dropNulls in [false, true] {
                let values: [Double?] = (0..<3000).map { $0 % 3 == 0 ? nil : Double($0) / 4 }
                var text = ByteWriter(capacity: 4)
                text.appendPoints(values[...], start: start, step: step, dropNulls: dropNulls)
                let points = values.enumerated().filter { !dropNulls || $1 != nil }
                let expected = points.map { "[\($1.map { "\($0)" } ?? "null"),\(start + $0 * step)]" }.joined(separator: ",")
                #expect(text.finish().text == expected, "\(start) by \(step), dropping nulls: \(dropNulls)")
            }
        }

        // Values JSON has no number for are written as null, and left out with the nulls when nulls are dropped.
        for dropNulls in [false, true] {
            var text = ByteWriter(capacity: 4)
            text.appendPoints([.nan, .infinity, nil, -.infinity, 2][...], start: 100, step: 10, dropNulls: dropNulls)
            let expected = (dropNulls ? "" : "[null,100],[null,110],[null,120],[null,130],") + "[2.0,140]"
            #expect(text.finish().text == expected, "dropping nulls: \(dropNulls)")
        }

        var strings = ByteWriter(capacity: 2)
        let texts = ["plain.metric_name-1", "", "quote\"back\\slash", "<script>&", "tab\tnew\nline\u{1}", "é✓"]
        for text in texts { strings.appendJSONString(text) }
        #expect(strings.finish().text == texts.map { JSON.string($0).text }.joined())

        let floats: [Double] = [0, -0.0, 3, -3, 0.5, 1e15, 1e16, 123.456, -1e-7, 71.23711340206185]
        var out = ByteWriter(capacity: 8)
        for v in floats {
            out.appendFloat(v)
            out.append(byte: UInt8(ascii: " "))
        }
        // Python's repr: whole numbers below 1e16 keep ".0"; others are the shortest round trip.
        #expect(out.finish().text == "0.0 -0.0 3.0 -3.0 0.5 1000000000000000.0 1e+16 123.456 -1e-07 71.23711340206185 ")
    }

    /// Every path of the float writer (whole, few places, the exact shortest decimal, description) against
    /// Python's own `repr`.
    @Test func floatsMatchPythonsReprOnManyValues() throws {
        var rng = SystemRandomNumberGenerator()
        var values: [Double] = [1e-4, (1e-4).nextDown, (1e-4).nextUp, 0x1p40 / 10, (0x1p40 / 10).nextDown, 0x1p40 / 1e6, 0.1 + 0.2,
                                9.9999999999999995, 1e16.nextDown, 0x1p52 + 0.5, 0x1p-13, .leastNonzeroMagnitude, .greatestFiniteMagnitude]
        // Powers of two and their neighbours: the interval of reals that read back is lopsided there.
        for exponent in -16...54 {
            let power = Double(sign: .plus, exponent: exponent, significand: 1)
            values += [power, power.nextUp, power.nextDown, -power.nextDown]
        }
        // Quotients, as timers' means and rates of odd intervals are, need 15 to 17 digits.
        for _ in 0..<6000 {
            values.append(Double(Int.random(in: 0...10_000_000, using: &rng)) / Double(Int.random(in: 1...9973, using: &rng)))
        }
        for places in 1...8 {
            let scale = (0..<places).reduce(1.0) { p, _ in p * 10 }
            for _ in 0..<1500 {
                let decimal = Double(Int.random(in: -20_000_000...20_000_000, using: &rng)) / scale
                values += [decimal, decimal.nextUp, decimal.nextDown]
            }
        }
        for exponent in -9...16 {
            for _ in 0..<300 { values.append(Double.random(in: 1..<10, using: &rng) * pow(10, Double(exponent)) * (Bool.random() ? 1 : -1)) }
        }
        for _ in 0..<3000 {
            let any = Double(bitPattern: UInt64.random(in: 0...UInt64.max, using: &rng))
            if any.isFinite { values.append(any) }
        }
        var out = ByteWriter(capacity: 16)
        for v in values {
            out.appendFloat(v)
            out.append(byte: UInt8(ascii: "\n"))
        }
        let python = "import struct, sys\nfor line in sys.stdin: print(repr(struct.unpack('<d', struct.pack('<Q', int(line)))[0]))"
        let expected = try runPython(python, input: values.map { "\($0.bitPattern)\n" }.joined())
        let written = out.finish().text.split(separator: "\n")
        let reprs = expected.split(separator: "\n")
        #expect(written.count == values.count && reprs.count == values.count)
        for (n, (mine, theirs)) in zip(written, reprs).enumerated() where mine != theirs {
            Issue.record("\(values[n].bitPattern): wrote \(mine), Python writes \(theirs)")
        }
    }

    private func runPython(_ program: String, input: String) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", program]
        let stdin = Pipe(), stdout = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        try process.run()
        let writer = Thread { stdin.fileHandleForWriting.write(Data(input.utf8)); try? stdin.fileHandleForWriting.close() }
        writer.start()
        let output = stdout.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: output, as: UTF8.self)
    }
}
