import Foundation
import Testing
import TestSupport

@testable import Whisper

/// Random operations over simulated time: updates out of order, in the future, older than the retention,
/// duplicated; single updates; fetches of every shape.
func randomOps(archives: [Retention], seed: UInt64, count: Int) -> [PythonWhisper.Op] {
    var rng = SeededRandom(state: seed)
    let maxRetention = archives.map { $0.secondsPerPoint * $0.points }.max()!
    let finest = archives.map(\.secondsPerPoint).min()!
    var now = 1_700_000_000 + Int.random(in: 0..<1000, using: &rng)
    var ops: [PythonWhisper.Op] = []
    func value() -> Double {
        switch Int.random(in: 0..<4, using: &rng) {
        case 0: Double(Int.random(in: -100...100, using: &rng))
        case 1: Double.random(in: -1e6...1e6, using: &rng)
        case 2: Double.random(in: 0...1, using: &rng)
        default: Double(Int.random(in: 0...5, using: &rng))
        }
    }
    for _ in 0..<count {
        now += Int.random(in: 0...(finest * 4), using: &rng)
        switch Int.random(in: 0..<10, using: &rng) {
        case 0...4:
            var points: [Point] = []
            for _ in 0..<Int.random(in: 1...12, using: &rng) {
                let age = Int.random(in: 0...100, using: &rng) < 85
                    ? Int.random(in: -finest * 2...finest * 30, using: &rng)
                    : Int.random(in: -finest * 2...(maxRetention * 6 / 5), using: &rng)
                points.append(Point(now - age, value()))
                if Int.random(in: 0..<6, using: &rng) == 0 { points.append(Point(now - age, value())) }
            }
            ops.append(.updateMany(points, now: now))
        case 5, 6:
            let age = Int.random(in: -finest...(maxRetention + finest), using: &rng)
            ops.append(.update(Point(now - age, value()), now: now))
        default:
            let from = now - Int.random(in: 0...(maxRetention * 5 / 4), using: &rng)
            let until = Int.random(in: 0..<4, using: &rng) == 0 ? from - 1 : from + Int.random(in: 0...(maxRetention / 2 + finest * 10), using: &rng)
            ops.append(.fetch(from: from, until: until, now: now))
        }
    }
    // End with fetches of every archive's whole span.
    for a in archives {
        ops.append(.fetch(from: now - a.secondsPerPoint * a.points, until: now, now: now))
    }
    ops.append(.info)
    return ops
}

@Suite struct WhisperDifferentialTests {
    static let schemas: [[Retention]] = [
        [Retention(secondsPerPoint: 1, points: 20), Retention(secondsPerPoint: 5, points: 12), Retention(secondsPerPoint: 30, points: 10)],
        [Retention(secondsPerPoint: 10, points: 36), Retention(secondsPerPoint: 60, points: 30), Retention(secondsPerPoint: 600, points: 12)],
        [Retention(secondsPerPoint: 2, points: 10), Retention(secondsPerPoint: 4, points: 10)],
        [Retention(secondsPerPoint: 5, points: 30)],
        // Archives of several pages, so slots older than the base are a hole of the sparse file until written.
        [Retention(secondsPerPoint: 10, points: 1000), Retention(secondsPerPoint: 60, points: 700), Retention(secondsPerPoint: 600, points: 100)],
    ]

    static let cases: [(Int, AggregationMethod, Double)] = {
        var all: [(Int, AggregationMethod, Double)] = []
        for (i, _) in schemas.enumerated() {
            for method in AggregationMethod.allCases {
                all.append((i, method, [0.0, 0.3, 0.5, 1.0][(i + Int(method.rawValue)) % 4]))
            }
        }
        return all
    }()

    @Test(arguments: cases)
    func randomSequencesMatchPythonWhisperPointForPoint(schema: Int, method: AggregationMethod, xff: Double) throws {
        let archives = Self.schemas[schema]
        let seed = UInt64(schema * 100 + Int(method.rawValue)) &* 7919
        let ops = randomOps(archives: archives, seed: seed, count: 250)
        let dir = temporaryDirectory()
        let expected = try PythonWhisper.run(
            path: dir + "/python.wsp", create: .init(archives: archives, xff: xff, method: method), ops)
        let file = try WhisperFile.create(dir + "/telewall.wsp", retentions: archives, aggregation: method, xFilesFactor: Float(xff))
        var mismatches = 0
        for (i, op) in ops.enumerated() {
            let actual = file.apply(op)
            if actual != expected[i] {
                mismatches += 1
                if mismatches <= 3 { Issue.record("seed \(seed) op \(i) \(op): telewall \(actual) python \(expected[i])") }
            }
        }
        #expect(mismatches == 0)
        #expect(ops.contains { if case .fetch = $0 { true } else { false } })
    }
}

@Suite struct WhisperInteropTests {
    static let archives = [Retention(secondsPerPoint: 10, points: 60), Retention(secondsPerPoint: 60, points: 60), Retention(secondsPerPoint: 600, points: 30)]

    @Test func pythonReadsWhatTelewallWrites() throws {
        let dir = temporaryDirectory()
        let path = dir + "/t.wsp"
        let file = try WhisperFile.create(path, retentions: Self.archives, aggregation: .sum, xFilesFactor: 0.25)
        let ops = randomOps(archives: Self.archives, seed: 42, count: 200).filter { if case .updateMany = $0 { true } else { false } }
        for op in ops { _ = file.apply(op) }
        guard case .updateMany(_, let now) = ops.last! else { return }
        var reads: [PythonWhisper.Op] = [.info]
        for from in stride(from: now - 20_000, to: now, by: 777) { reads.append(.fetch(from: from, until: now, now: now)) }
        let python = try PythonWhisper.run(path: path, reads)
        #expect(python == reads.map { file.apply($0) })
        #expect(python.count == reads.count)
    }

    @Test func telewallReadsWhatPythonWrites() throws {
        let dir = temporaryDirectory()
        let path = dir + "/p.wsp"
        var ops: [PythonWhisper.Op] = randomOps(archives: Self.archives, seed: 7, count: 200).filter { if case .fetch = $0 { false } else { true } }
        guard case .updateMany(_, let now)? = ops.last(where: { if case .updateMany = $0 { true } else { false } }) else { return }
        let firstReadIndex = ops.count
        for from in stride(from: now - 20_000, to: now, by: 777) { ops.append(.fetch(from: from, until: now, now: now)) }
        let python = try PythonWhisper.run(path: path, create: .init(archives: Self.archives, xff: 0.5, method: .max), ops)
        let file = try WhisperFile.open(path)
        for (i, op) in ops.enumerated().dropFirst(firstReadIndex) { #expect(file.apply(op) == python[i]) }
        #expect(file.apply(.info) == python[firstReadIndex - 1])
    }
}
