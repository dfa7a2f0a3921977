import Foundation
import Testing
import TestSupport

@testable import StatsD

@Suite struct StatsDLineTests {
    func metric(_ line: String) throws -> (String, [Sample]) {
        guard case .metric(_, let key, let samples) = try StatsDLine.parse(Substring(line)) else {
            Issue.record("not a metric: \(line)")
            return ("", [])
        }
        return (key, samples)
    }

    @Test func typesRatesAndSeveralValuesPerKey() throws {
        let (key, samples) = try metric("tok.users.new:1|c:2.5|c|@0.1:3|ms:4|h:5|d:+6|g:-7|g:8|g:x|s")
        #expect(key == "users.new")
        #expect(samples.map(\.kind) == [.counter, .counter, .timer, .timer, .timer, .gauge, .gauge, .gauge, .set])
        #expect(samples[1].value == 2.5 && samples[1].sampleRate == 0.1)
        #expect(samples[5].isDelta && samples[6].isDelta && !samples[7].isDelta)
        #expect(samples[6].value == -7 && samples[8].member == "x")
    }

    @Test func anEmptyCounterValueCountsOneAndAnEmptySetMemberIsZero() throws {
        #expect(try metric("t.k:|c").1.first?.value == 1)
        #expect(try metric("t.k:|s").1.first?.member == "0")
    }

    @Test func dogStatsDTagsAreAcceptedAndIgnored() throws {
        let (key, samples) = try metric("t.page.views:1|c|#env:prod,role:web")
        #expect(key == "page.views" && samples.count == 1)
    }

    @Test(arguments: [
        ("t.a b  c:1|c", "a_b_c"), ("t.a/b:1|c", "a-b"), ("t.ke$y!é:1|c", "key"), ("t.x\ty:1|c", "x_y"), ("t.A-Z_0.9:1|c", "A-Z_0.9"),
    ])
    func keysAreSanitizedLikeEtsy(line: String, key: String) throws {
        #expect(try metric(line).0 == key)
    }

    @Test(arguments: [
        "t", "t.k", "t.k:", "t.k:1", "t.k:1|", "t.k:1|x", "t.k:1|cc", "t.k:abc|c", "t.k:1|c|0.5", "t.k:1|c|@", "t.k:1|c|@-1",
        "t.k:1|c|@0", "t.k:NaN|c", "t.k:Infinity|g", "t.k:1e999|c", "t.k:0x10|c", "t.k:-1|ms", "t.k: 1|c", "t..k:1|c", "t.k.:1|c",
        "t.$$$:1|c", "t.\(String(repeating: "a", count: 256)):1|c", "t.\(Array(repeating: "s", count: 33).joined(separator: ".")):1|c",
        ".k:1|c", "_sc|t.x|7", "_sc|t.x", "_e{99,1}:t.title|x", "_e{x,y}:t.a|b",
    ])
    func malformedLinesAreBad(line: String) {
        #expect(throws: BadLine.self) { try StatsDLine.parse(Substring(line)) }
    }

    /// Seeded random edits of valid lines: each is a line or a BadLine, never a trap; Graphite lines too.
    @Test func mutatedLinesAreParsedOrBadNeverATrap() {
        let lines = ["tok.users.new:1|c:2.5|c|@0.1:3|ms", "tok.k:+6|g", "tok.s:x|s|#a:b", "_e{5,4}:tok.title|text", "_sc|tok.x|0"]
        let parsed = acceptedMutations(of: lines, alphabet: "-+0123456789.eE|:@#,cmsghd_ \t\r\n\u{0}é{}xX", count: 50_000, seed: 9) { bytes in
            let line = String(decoding: bytes, as: UTF8.self)
            _ = GraphiteLine.parse(Substring(line.replacing(":", with: " ").replacing("|", with: " ")), now: 1_700_000_000)
            return (try? StatsDLine.parse(Substring(line))) != nil
        }
        #expect(parsed > 2_000 && parsed < 45_000, "\(parsed) of 50,000 parsed")
    }

    @Test func serviceChecksAndEventsAreRecognized() throws {
        #expect(try StatsDLine.parse("_sc|tok.db.primary|2|d:1700000000|h:web1|m:down") == .serviceCheck(token: "tok", name: "db.primary", status: 2))
        #expect(try StatsDLine.parse("_e{9,4}:tok.Title|text|#a:b") == .event(token: "tok", title: "Title", text: "text"))
    }

    @Test func httpLinesCarryNoToken() throws {
        guard case .metric(let token, let key, _) = try StatsDLine.parse("users.new:1|c", expectToken: false) else { return }
        #expect(token.isEmpty && key == "users.new")
    }

    @Test func graphiteLinesParseWithNowForMinusOne() {
        #expect(GraphiteLine.parse("tok.a.b 1.5 1700000000", now: 5).map { $0.0 } == "a.b")
        #expect(GraphiteLine.parse("tok.a.b 1.5 1700000000", now: 5)?.1 == .init(1_700_000_000, 1.5))
        #expect(GraphiteLine.parse("tok.a 2 -1", now: 99)?.1.timestamp == 99)
        #expect(GraphiteLine.parse("tok.a 2 N", now: 98)?.1.timestamp == 98)
        for bad in ["tok.a 1", "tok.a x 1", "tok.a 1 x", "tok 1 2", "tok.a 1 -5", "tok.a.. 1 2", "tok.a nan 1"] {
            #expect(GraphiteLine.parse(Substring(bad), now: 0) == nil, "\(bad)")
        }
    }
}

@Suite struct TokenDirectoryTests {
    @Test func tokensResolveOnceAndRevocationsAreSeen() throws {
        let token = String(repeating: "a", count: 26) + "bcdef1"
        let digests = Mutex<[[UInt8]: String]>([sha(token): "tenant1"])
        let directory = TokenDirectory(negativeCapacity: 3) { digests.withLock { $0 } }
        try directory.refresh()
        var cache = TokenCache(directory: directory)
        cache.sync()
        #expect(cache.tenant(for: Substring(token)) == "tenant1")
        #expect(cache.tenant(for: "short") == nil)
        for i in 0..<10 { #expect(cache.tenant(for: Substring(String(repeating: "z", count: 30) + "\(i)")) == nil) }
        digests.withLock { $0 = [:] }
        try directory.refresh()
        cache.sync()
        #expect(cache.tenant(for: Substring(token)) == nil)
    }

    /// The periodic reload and one after an issue may overlap: a load that began before the new token was
    /// stored, finishing last, must not take the token away again.
    @Test func aLoadThatBeganEarlierNeverOverwritesALaterOne() throws {
        let token = String(repeating: "b", count: 26) + "stale1"
        let digest = sha(token)
        let loads = Atomic<Int>(0)
        let staleMayFinish = DispatchSemaphore(value: 0)
        let directory = TokenDirectory {
            if loads.add(1, ordering: .relaxed).newValue == 1 {
                staleMayFinish.wait()
                return [:]
            }
            return [digest: "tenant1"]
        }
        let staleDone = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            try? directory.refresh()
            staleDone.signal()
        }
        while loads.load(ordering: .relaxed) == 0 { usleep(1_000) }
        try directory.refresh()
        #expect(directory.tenant(for: Substring(token)) == "tenant1")
        staleMayFinish.signal()
        staleDone.wait()
        #expect(directory.tenant(for: Substring(token)) == "tenant1")
    }

    func sha(_ s: String) -> [UInt8] {
        // SHA-256 by coreutils, independent of the code under test.
        let (_, out) = (try? TestSupport.run("/bin/sh", ["-c", "printf %s '\(s)' | sha256sum"])) ?? (1, "")
        return stride(from: 0, to: 64, by: 2).map { i in
            let start = out.index(out.startIndex, offsetBy: i)
            return UInt8(out[start...out.index(after: start)], radix: 16)!
        }
    }
}

import Synchronization
import TestSupport
