import Foundation
import TestSupport
import Whisper

/// Python's `whisper` module, driven through `whisper_oracle.py`: the test oracle.
enum PythonWhisper {
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("whisper_oracle.py").path

    enum Op {
        case updateMany([Point], now: Int)
        case update(Point, now: Int)
        case fetch(from: Int, until: Int, now: Int)
        case info

        var json: Any {
            switch self {
            case .updateMany(let points, let now): ["op": "update_many", "points": points.map { [$0.timestamp, "\($0.value)"] }, "now": now]
            case .update(let p, let now): ["op": "update", "t": p.timestamp, "v": "\(p.value)", "now": now]
            case .fetch(let from, let until, let now): ["op": "fetch", "from": from, "until": until, "now": now]
            case .info: ["op": "info"]
            }
        }
    }

    struct Create {
        let archives: [Retention]
        let xff: Double
        let method: AggregationMethod
    }

    /// Runs `ops` on `path` (creating it first when asked) and returns Python's results, normalized to `Outcome`s.
    static func run(path: String, create: Create? = nil, _ ops: [Op]) throws -> [Outcome] {
        var job: [String: Any] = ["path": path, "ops": ops.map(\.json)]
        if let create {
            job["create"] = [
                "archives": create.archives.map { [$0.secondsPerPoint, $0.points] }, "xff": create.xff, "method": create.method.description,
            ]
        }
        let input = try JSONSerialization.data(withJSONObject: job)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script]
        let stdin = Pipe(), stdout = Pipe(), stderr = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = stderr
        try process.run()
        stdin.fileHandleForWriting.write(input)
        try stdin.fileHandleForWriting.close()
        let output = stdout.fileHandleForReading.readDataToEndOfFile()
        let errors = stderr.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0, let results = try JSONSerialization.jsonObject(with: output) as? [Any] else {
            throw OracleFailure(message: String(decoding: errors, as: UTF8.self))
        }
        return results.map(Outcome.init(python:))
    }

    struct OracleFailure: Error, CustomStringConvertible {
        let message: String
        var description: String { "whisper oracle failed: \(message)" }
    }
}

/// One operation's result, comparable between Telewall and Python.
enum Outcome: Equatable {
    case ok
    case notCovered
    case invalidInterval
    case none
    case fetched(from: Int, until: Int, step: Int, values: [UInt64?])
    case info(method: String, maxRetention: Int, xff: UInt64, archives: [[Int]])

    init(python: Any) {
        switch python {
        case let s as String where s == "ok": self = .ok
        case let s as String where s == "not covered": self = .notCovered
        case let s as String where s == "invalid interval": self = .invalidInterval
        case let a as [Any]:
            let time = a[0] as! [Int]
            let values = (a[1] as! [Any]).map { ($0 as? String).map { Double($0)!.bitPattern } }
            self = .fetched(from: time[0], until: time[1], step: time[2], values: values)
        case let d as [String: Any]:
            self = .info(
                method: d["aggregationMethod"] as! String, maxRetention: d["maxRetention"] as! Int,
                xff: Double(d["xFilesFactor"] as! String)!.bitPattern, archives: d["archives"] as! [[Int]])
        default: self = .none
        }
    }

    init(_ result: FetchResult?) {
        guard let result else { self = .none; return }
        self = .fetched(from: result.from, until: result.until, step: result.step, values: result.values.map { $0?.bitPattern })
    }

    init(_ header: WhisperHeader) {
        self = .info(
            method: header.aggregation.description, maxRetention: header.maxRetention, xff: Double(header.xFilesFactor).bitPattern,
            archives: header.archives.map { [$0.offset, $0.secondsPerPoint, $0.points] })
    }
}

extension WhisperFile {
    /// Applies one op the way the oracle does, so results line up.
    func apply(_ op: PythonWhisper.Op) -> Outcome {
        do {
            switch op {
            case .updateMany(let points, let now):
                try updateMany(points, now: now)
                return .ok
            case .update(let point, let now):
                try update(point, now: now)
                return .ok
            case .fetch(let from, let until, let now):
                return Outcome(try fetch(from: from, until: until, now: now))
            case .info:
                return Outcome(header)
            }
        } catch .timestampNotCovered {
            return .notCovered
        } catch .invalidTimeInterval {
            return .invalidInterval
        } catch {
            return .none
        }
    }
}
