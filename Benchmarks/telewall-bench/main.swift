import Foundation
import Posix
import Whisper

/// Telewall's side of scripts/bench/whisper.sh (and the process the kill -9 test kills).
///
///     telewall-bench create DIR SERIES              create SERIES files with SPEC 4's schema
///     telewall-bench writes DIR SERIES FLUSHES      flush-shaped writes through the write-back cache
///     telewall-bench fetch FILE SECONDS COUNT       fetch latency of one file
///     telewall-bench memory DIR SERIES              bytes per buffered series and per open series
let arguments = CommandLine.arguments
let start = 1_700_000_000
let tenant = "bench"

func series(_ i: Int) -> String { "stats.counters.app\(i % 100).event\(i).count" }

func seconds(_ body: () -> Void) -> Double {
    let t0 = monotonicSeconds()
    body()
    return monotonicSeconds() - t0
}

func residentBytes() -> Int {
    let statm = (try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8)) ?? "0 0"
    return (Int(statm.split(separator: " ")[1]) ?? 0) * 4096
}

func percentile(_ sorted: [Double], _ p: Double) -> Double { sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))] }

switch arguments.dropFirst().first {
case "create":
    let paths = SeriesPaths(root: arguments[2])
    let n = Int(arguments[3])!
    let elapsed = seconds {
        for i in 0..<n {
            let path = try! paths.path(tenant: tenant, series: series(i))
            try! File.makeDirectories(String(path[..<path.lastIndex(of: "/")!]))
            _ = try! WhisperFile.create(path, retentions: StorageRules.standard.retentions(for: series(i)), aggregation: .sum, xFilesFactor: 0)
        }
    }
    print("created \(n) files in \(String(format: "%.2f", elapsed)) s")

case "writes":
    let n = Int(arguments[3])!
    let flushes = Int(arguments[4])!
    let now = Mutex(start)
    let cache = WriteBackCache(paths: SeriesPaths(root: arguments[2]), clock: { now.withLock { $0 } })
    cache.start()
    let names = (0..<n).map(series)
    let elapsed = seconds {
        for k in 0..<flushes {
            let t = start + 10 * k
            now.withLock { $0 = t }
            cache.add(tenant: tenant, flush: names.enumerated().map { ($0.element, Point(t, Double($0.offset % 97 + k))) })
        }
        cache.stop()
    }
    let points = cache.stats.written.load(ordering: .relaxed)
    print("points \(points) seconds \(String(format: "%.3f", elapsed)) rate \(Int(Double(points) / elapsed)) errors \(cache.stats.errors.load(ordering: .relaxed)) points_per_write \(points / max(1, cache.stats.seriesWrites.load(ordering: .relaxed)))")

case "fetch":
    let file = try! WhisperFile.open(arguments[2])
    let span = Int(arguments[3])!
    let count = Int(arguments[4])!
    let now = start + 86400 * 2
    var samples: [Double] = []
    samples.reserveCapacity(count)
    for _ in 0..<count {
        let t0 = monotonicSeconds()
        _ = try! file.fetch(from: now - span, until: now, now: now)
        samples.append((monotonicSeconds() - t0) * 1e6)
    }
    samples.sort()
    print("p50_us \(String(format: "%.2f", percentile(samples, 0.5))) p99_us \(String(format: "%.2f", percentile(samples, 0.99)))")

case "memory":
    let n = Int(arguments[3])!
    let cache = WriteBackCache(paths: SeriesPaths(root: arguments[2]))
    let names = (0..<n).map(series)
    let before = residentBytes()
    cache.add(tenant: tenant, flush: names.map { ($0, Point(start, 1)) })
    let buffered = residentBytes() - before
    let opened = (0..<min(n, 10000)).map { try! WhisperFile.open(try! SeriesPaths(root: arguments[2]).path(tenant: tenant, series: series($0))) }
    let open = residentBytes() - before - buffered
    print("bytes_per_buffered_series \(buffered / n) bytes_per_open_series \(open / max(1, opened.count))")

default:
    print("usage: telewall-bench create|writes|fetch|memory ...")
    exit(2)
}

import Synchronization
