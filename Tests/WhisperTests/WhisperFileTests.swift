import Foundation
import Posix
import Testing
import TestSupport

@testable import Whisper

@Suite struct WhisperFileTests {
    static let archives = [Retention(secondsPerPoint: 10, points: 10), Retention(secondsPerPoint: 60, points: 10)]

    func fileBytes(_ path: String) throws -> [UInt8] { [UInt8](try Data(contentsOf: URL(fileURLWithPath: path))) }

    @Test func createdFilesAreSparseAndMatchPythonsLayout() throws {
        let dir = temporaryDirectory()
        let big = [Retention(secondsPerPoint: 10, points: 2160), Retention(secondsPerPoint: 60, points: 10080), Retention(secondsPerPoint: 600, points: 262_974)]
        _ = try WhisperFile.create(dir + "/t.wsp", retentions: big, aggregation: .average, xFilesFactor: 0.3)
        _ = try PythonWhisper.run(path: dir + "/p.wsp", create: .init(archives: big, xff: 0.3, method: .average), [])
        #expect(try fileBytes(dir + "/t.wsp") == (try fileBytes(dir + "/p.wsp")), "byte for byte what whisper.create(sparse=True) writes")
        #expect(File.allocatedBytes(dir + "/t.wsp") < 64 * 1024, "sparse: \(File.allocatedBytes(dir + "/t.wsp")) bytes allocated")
        #expect(try fileBytes(dir + "/t.wsp").count == 16 + 36 + 12 * (2160 + 10080 + 262_974))
    }

    @Test func creatingOverAnExistingFileFailsAndLeavesIt() throws {
        let dir = temporaryDirectory()
        let file = try WhisperFile.create(dir + "/t.wsp", retentions: Self.archives)
        try file.updateMany([Point(1_700_000_000, 5)], now: 1_700_000_000)
        #expect(throws: WhisperError.exists(path: dir + "/t.wsp")) { try WhisperFile.create(dir + "/t.wsp", retentions: Self.archives) }
        #expect(try WhisperFile.open(dir + "/t.wsp").fetch(from: 1_699_999_990, until: 1_700_000_000, now: 1_700_000_000)?.values == [5])
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["t.wsp"], "no temporary file is left")
    }

    @Test(arguments: [
        ([Retention(secondsPerPoint: 10, points: 10), Retention(secondsPerPoint: 10, points: 20)], "same precision"),
        ([Retention(secondsPerPoint: 10, points: 10), Retention(secondsPerPoint: 15, points: 20)], "does not divide"),
        ([Retention(secondsPerPoint: 10, points: 100), Retention(secondsPerPoint: 60, points: 10)], "does not cover more time"),
        ([Retention(secondsPerPoint: 10, points: 3), Retention(secondsPerPoint: 60, points: 10)], "fewer points"),
    ])
    func invalidArchiveListsAreRefusedLikeWhisper(list: [Retention], why: String) throws {
        let dir = temporaryDirectory()
        do {
            _ = try WhisperFile.create(dir + "/t.wsp", retentions: list)
            Issue.record("accepted \(list)")
        } catch {
            #expect("\(error)".contains(why))
        }
        #expect(throws: (any Error).self) {
            try PythonWhisper.run(path: dir + "/p.wsp", create: .init(archives: list, xff: 0.5, method: .average), [])
        }
    }

    @Test func corruptAndTruncatedFilesGetAClearErrorNamingTheFile() throws {
        let dir = temporaryDirectory()
        let good = dir + "/good.wsp"
        _ = try WhisperFile.create(good, retentions: Self.archives)
        let bytes = try fileBytes(good)
        var cases: [(String, [UInt8], String)] = [
            ("empty", [], "truncated header"),
            ("short-header", Array(bytes.prefix(10)), "truncated header"),
            ("short-archive-list", Array(bytes.prefix(20)), "truncated archive list"),
            ("truncated-points", Array(bytes.prefix(bytes.count - 1)), "truncated: the file has"),
        ]
        var badAggregation = bytes
        badAggregation[3] = 99
        cases.append(("aggregation", badAggregation, "unknown aggregation type 99"))
        var badXff = bytes
        badXff[8] = 0x40  // 2.0 or more
        cases.append(("xff", badXff, "xFilesFactor"))
        var noArchives = bytes
        noArchives[15] = 0
        cases.append(("no-archives", noArchives, "archive count 0"))
        var manyArchives = bytes
        manyArchives[12] = 0x7f
        cases.append(("many-archives", manyArchives, "archive count"))
        var badOffset = bytes
        badOffset[19] = 0x01
        cases.append(("offset", badOffset, "starts at byte"))
        var zeroStep = bytes
        zeroStep[20...23] = [0, 0, 0, 0]
        cases.append(("zero-step", zeroStep, "has 10 points of 0 s"))
        for (name, content, problem) in cases {
            let path = dir + "/\(name).wsp"
            FileManager.default.createFile(atPath: path, contents: Data(content))
            do {
                _ = try WhisperFile.open(path)
                Issue.record("\(name) opened")
            } catch {
                guard case .corrupt(let p, let text) = error else { Issue.record("\(name): \(error)"); continue }
                #expect(p == path && text.contains(problem), "\(name): \(text)")
                #expect(error.description.hasPrefix(path))
            }
        }
        #expect(throws: WhisperError.notFound(path: dir + "/missing.wsp")) { try WhisperFile.open(dir + "/missing.wsp") }
    }

    @Test func singleUpdatesRefuseTimestampsOutsideTheRetention() throws {
        let dir = temporaryDirectory()
        let file = try WhisperFile.create(dir + "/t.wsp", retentions: Self.archives)
        let now = 1_700_000_000
        #expect(throws: WhisperError.timestampNotCovered(timestamp: now + 1)) { try file.update(Point(now + 1, 1), now: now) }
        #expect(throws: WhisperError.timestampNotCovered(timestamp: now - 600)) { try file.update(Point(now - 600, 1), now: now) }
        try file.update(Point(now - 599, 1), now: now)
        #expect(throws: WhisperError.invalidTimeInterval(from: now, until: now - 1)) { try file.fetch(from: now, until: now - 1, now: now) }
    }
}

@Suite struct SeriesPathTests {
    let paths = SeriesPaths(root: "/data/whisper")

    @Test func namesMapToNestedFilesUnderTheTenant() throws {
        #expect(try paths.path(tenant: "abc123", series: "stats.counters.users-new_x.count") == "/data/whisper/abc123/stats/counters/users-new_x/count.wsp")
    }

    @Test(arguments: [
        "", ".", "..", "a..b", ".a", "a.", "../etc/passwd", "a/b", "a\\b", "/abs", "a.b/../../c", "a b", "a\0b", "a:b", "ä", "%2e%2e",
        "a.*", "a?", "{a,b}", String(repeating: "a", count: 301), Array(repeating: "a", count: 41).joined(separator: "."),
    ])
    func hostileSeriesNamesAreRefused(name: String) {
        #expect(throws: WhisperError.self) { try paths.path(tenant: "abc", series: name) }
    }

    @Test(arguments: ["", "ABC", "a.b", "../x", "a/b", "x y", String(repeating: "a", count: 65)])
    func hostileTenantIdsAreRefused(tenant: String) {
        #expect(throws: WhisperError.self) { try paths.path(tenant: tenant, series: "a.b") }
    }

    @Test func theLongestAllowedNameStillFits() throws {
        let name = Array(repeating: String(repeating: "x", count: 8), count: 33).joined(separator: ".") + ".abc"
        #expect(name.utf8.count == 300)
        let path = try paths.path(tenant: "t", series: name)
        #expect(path.hasPrefix("/data/whisper/t/") && !path.contains(".."))
    }
}

@Suite struct StorageRulesTests {
    @Test func theStandardRulesFollowTheSpec() {
        let rules = StorageRules.standard
        #expect(rules.retentions(for: "anything").map(\.description) == ["10:2160", "60:10080", "600:262974"])
        let cases: [(String, AggregationMethod, Float)] = [
            ("stats.timers.x.lower", .min, 0.1), ("stats.timers.x.upper", .max, 0.1), ("stats.timers.x.upper_90", .max, 0.1),
            ("stats.timers.x.sum", .sum, 0), ("stats.counters.x.count", .sum, 0), ("stats.gauges.x", .average, 0.3),
            ("stats.timers.x.lower_bound", .average, 0.3), ("stats.timers.x.sum_90", .average, 0.3),
        ]
        for (name, method, xff) in cases {
            #expect(rules.aggregation(for: name) == (method, xff), "\(name)")
        }
    }

    @Test func configuredRulesComeFirstAndBadOnesAreNamed() throws {
        let rules = try StorageRules(schemas: [("^stats\\.gauges\\.", "1m:1d,1h:30d")], aggregations: [("\\.max$", "max", 0.5)])
        #expect(rules.retentions(for: "stats.gauges.x").map(\.description) == ["60:1440", "3600:720"])
        #expect(rules.retentions(for: "stats.counters.x.count").count == 3)
        #expect(rules.aggregation(for: "a.max") == (.max, 0.5))
        #expect(throws: WhisperError.self) { try StorageRules(schemas: [("x", "10s:1h,15s:1d")], aggregations: []) }
        #expect(throws: WhisperError.self) { try StorageRules(schemas: [("(", "10s:1h")], aggregations: []) }
        #expect(throws: WhisperError.self) { try StorageRules(schemas: [], aggregations: [("x", "median", 0.5)]) }
    }

    @Test(arguments: [("10s:6h", 10, 2160), ("60:1440", 60, 1440), ("1m:7d", 60, 10080), ("10m:5y", 600, 262_800), ("1h:1w", 3600, 168), ("5min:1d", 300, 288)])
    func retentionsParseLikeWhisper(text: String, step: Int, points: Int) {
        #expect(Retention(parsing: text) == Retention(secondsPerPoint: step, points: points))
    }
}
