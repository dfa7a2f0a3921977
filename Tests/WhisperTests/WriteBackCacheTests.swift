import Foundation
import Synchronization
import Testing
import TestSupport

@testable import Whisper

@Suite struct WriteBackCacheTests {
    static let now = 1_700_000_000
    static let rules = try! StorageRules(schemas: [(".*", "10:60,60:60")], aggregations: [])

    func cache(_ dir: String, budget: Int = 1_000_000, writeDelay: Double = 1) -> WriteBackCache {
        var options = WriteBackCache.Options()
        options.maxBufferedPoints = budget
        options.writeDelay = writeDelay
        options.maxOpenFiles = 16
        return WriteBackCache(paths: SeriesPaths(root: dir), rules: Self.rules, options: options, clock: { Self.now })
    }

    @Test func aFetchSeesBufferedPointsBeforeTheyAreWritten() throws {
        let dir = temporaryDirectory()
        let c = cache(dir)
        c.add(tenant: "t1", series: "a.b", points: [Point(Self.now - 25, 1), Point(Self.now - 15, 2), Point(Self.now - 14, 3)])
        let result = try #require(try c.fetch(tenant: "t1", series: "a.b", from: Self.now - 40, until: Self.now, now: Self.now))
        #expect(result.step == 10 && result.from == Self.now - 30 && result.values == [1, 3, nil, nil])
        #expect(!FileManager.default.fileExists(atPath: dir + "/t1/a/b.wsp"), "nothing written yet")
        c.start()
        c.stop()
        let python = try PythonWhisper.run(path: dir + "/t1/a/b.wsp", [.fetch(from: Self.now - 40, until: Self.now, now: Self.now)])
        #expect(python == [Outcome(result)])
    }

    @Test func bufferedPointsOverlayWhatIsOnDisk() throws {
        let dir = temporaryDirectory()
        let c = cache(dir)
        c.add(tenant: "t1", series: "x", points: [Point(Self.now - 30, 1), Point(Self.now - 20, 2)])
        c.start()
        #expect(eventually { c.stats.buffered.load(ordering: .relaxed) == 0 })
        c.stop()
        let second = cache(dir)
        second.add(tenant: "t1", series: "x", points: [Point(Self.now - 20, 20), Point(Self.now - 10, 30)])
        let merged = try second.fetch(tenant: "t1", series: "x", from: Self.now - 40, until: Self.now, now: Self.now)
        #expect(merged?.values == [1, 20, 30, nil])
    }

    @Test func stopWritesEverythingBuffered() throws {
        let dir = temporaryDirectory()
        let c = cache(dir)
        c.start()
        var expected = 0
        for i in 0..<2000 {
            let points = (0..<5).map { Point(Self.now - 10 * $0, Double(i * 10 + $0)) }
            c.add(tenant: i % 2 == 0 ? "even" : "odd", series: "s.n\(i)", points: points)
            expected += points.count
        }
        c.stop()
        #expect(c.stats.written.load(ordering: .relaxed) == expected)
        #expect(c.stats.buffered.load(ordering: .relaxed) == 0)
        for i in [0, 1, 999, 1998, 1999] {
            let path = dir + "/\(i % 2 == 0 ? "even" : "odd")/s/n\(i).wsp"
            let python = try PythonWhisper.run(path: path, [.fetch(from: Self.now - 50, until: Self.now, now: Self.now)])
            let want = (0..<5).reversed().map { Double(i * 10 + $0).bitPattern } as [UInt64?]
            #expect(python == [.fetched(from: Self.now - 40, until: Self.now + 10, step: 10, values: want)], "\(path)")
        }
        #expect(!FileManager.default.fileExists(atPath: dir + "/odd/s/n0.wsp"), "tenants do not mix")
    }

    @Test func pointsWaitForTheWriteDelayAndStopWritesThemAtOnce() throws {
        let dir = temporaryDirectory()
        let c = cache(dir, writeDelay: 60)
        c.start()
        c.add(tenant: "t", series: "w", points: [Point(Self.now - 10, 4)])
        usleep(300_000)
        #expect(!FileManager.default.fileExists(atPath: dir + "/t/w.wsp"), "still waiting")
        #expect(try c.fetch(tenant: "t", series: "w", from: Self.now - 20, until: Self.now, now: Self.now)?.values == [4, nil])
        c.stop()
        let python = try PythonWhisper.run(path: dir + "/t/w.wsp", [.fetch(from: Self.now - 20, until: Self.now, now: Self.now)])
        #expect(python == [.fetched(from: Self.now - 10, until: Self.now + 10, step: 10, values: [Double(4).bitPattern, nil])])
    }

    @Test func aCachePastHalfItsBudgetWritesWithoutWaitingUntilHalfIsLeft() throws {
        let dir = temporaryDirectory()
        let c = cache(dir, budget: 10, writeDelay: 60)
        c.start()
        c.add(tenant: "t", series: "a", points: [Point(Self.now - 10, 1), Point(Self.now - 20, 2)])
        usleep(300_000)
        #expect(!FileManager.default.fileExists(atPath: dir + "/t/a.wsp"), "two of ten: waits")
        c.add(tenant: "t", series: "b", points: (1...4).map { Point(Self.now - 10 * $0, 3) })
        #expect(eventually { c.stats.buffered.load(ordering: .relaxed) <= 5 }, "six of ten: written until at most half wait")
        #expect(c.stats.written.load(ordering: .relaxed) >= 2)
        c.stop()
        #expect(c.stats.written.load(ordering: .relaxed) == 6)
    }

    @Test func pointsPastTheBudgetAreDroppedAndCounted() throws {
        let dir = temporaryDirectory()
        let c = cache(dir, budget: 10)
        #expect(c.add(tenant: "t", series: "a", points: (0..<8).map { Point(Self.now - $0 * 10, 1) }))
        #expect(!c.add(tenant: "t", series: "b", points: (0..<5).map { Point(Self.now - $0 * 10, 1) }))
        #expect(c.stats.dropped.load(ordering: .relaxed) == 5)
        #expect(c.stats.buffered.load(ordering: .relaxed) == 8)
        #expect(c.add(tenant: "t", series: "c", points: [Point(Self.now, 1), Point(Self.now - 10, 1)]))
    }

    @Test func aFlushTakesWhatFitsAndCountsBadNamesAndTheOverflow() throws {
        let dir = temporaryDirectory()
        let c = cache(dir, budget: 4)
        let flush = ["a", "../x", "b", "c", "d", "e"].map { (series: $0, point: Point(Self.now, 7)) }
        #expect(c.add(tenant: "t", flush: flush) == 3, "a, b and c fit; ../x is refused; d and e are past the budget")
        #expect(c.stats.invalid.load(ordering: .relaxed) == 1)
        #expect(c.stats.dropped.load(ordering: .relaxed) == 2)
        #expect(c.stats.buffered.load(ordering: .relaxed) == 3)
        #expect(try c.fetch(tenant: "t", series: "c", from: Self.now - 10, until: Self.now, now: Self.now)?.values == [7])
        #expect(throws: WhisperError.self) { try c.fetch(tenant: "t", series: "d", from: Self.now - 10, until: Self.now, now: Self.now) }
        #expect(c.add(tenant: "t", flush: [(series: "a", point: Point(Self.now + 10, 8))]) == 1, "a series already waiting takes more")
        #expect(c.add(tenant: "t/u", flush: flush) == 0)
        #expect(c.stats.invalid.load(ordering: .relaxed) == 7)
    }

    @Test func aLargeFlushIsBufferedCompletelyAndInOrder() throws {
        let dir = temporaryDirectory()
        let c = cache(dir)
        var flush: [(series: String, point: Point)] = []
        for round in 0..<3 {
            for i in 0..<10_000 { flush.append((i % 1000 == 7 ? "../bad\(i)" : "s.n\(i)", Point(Self.now - 20 + 10 * round, Double(i * 10 + round)))) }
        }
        // The same slot twice: whisper keeps the point given first.
        flush.insert(("dup", Point(Self.now, 1)), at: 5)
        flush.append(("dup", Point(Self.now, 2)))
        #expect(c.add(tenant: "t", flush: flush) == 30_002 - 30)
        #expect(c.stats.invalid.load(ordering: .relaxed) == 30)
        #expect(c.stats.buffered.load(ordering: .relaxed) == 30_002 - 30)
        for i in [0, 1, 4_999, 9_999] {
            let values = try c.fetch(tenant: "t", series: "s.n\(i)", from: Self.now - 30, until: Self.now, now: Self.now)?.values
            #expect(values == [Double(i * 10), Double(i * 10 + 1), Double(i * 10 + 2)], "s.n\(i)")
        }
        #expect(try c.fetch(tenant: "t", series: "dup", from: Self.now - 10, until: Self.now, now: Self.now)?.values == [1])
    }

    @Test func invalidNamesAreRefusedAndCountedAndNothingIsCreated() throws {
        let dir = temporaryDirectory()
        let c = cache(dir)
        #expect(!c.add(tenant: "t", series: "../../etc/x", points: [Point(Self.now, 1)]))
        #expect(!c.add(tenant: "../t", series: "a", points: [Point(Self.now, 1)]))
        #expect(c.stats.invalid.load(ordering: .relaxed) == 2)
        c.start()
        c.stop()
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).isEmpty)
        #expect(throws: WhisperError.self) { try c.fetch(tenant: "t", series: "..", from: 0, until: 1, now: 2) }
        #expect(throws: WhisperError.notFound(path: dir + "/t/nothing.wsp")) {
            try c.fetch(tenant: "t", series: "nothing", from: Self.now - 10, until: Self.now, now: Self.now)
        }
    }

    @Test func writesContinueWhenTheOpenFileLimitIsSmall() throws {
        let dir = temporaryDirectory()
        let c = cache(dir)
        c.start()
        for round in 0..<3 {
            for i in 0..<100 { c.add(tenant: "t", series: "m\(i)", points: [Point(Self.now - 10 * round, Double(round))]) }
        }
        c.stop()
        #expect(c.stats.written.load(ordering: .relaxed) == 300 && c.stats.errors.load(ordering: .relaxed) == 0)
        let r = try WhisperFile.open(dir + "/t/m42.wsp").fetch(from: Self.now - 30, until: Self.now, now: Self.now)
        #expect(r?.values == [2, 1, 0])
    }
}
