import Foundation
import Glibc
import Testing
import TestSupport

@testable import Whisper

@Suite struct CrashTests {
    static let bench = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent(".build/debug/telewall-bench").path

    func wspFiles(_ dir: String) -> [String] {
        (FileManager.default.enumerator(atPath: dir)?.allObjects as? [String] ?? []).filter { $0.hasSuffix(".wsp") }.map { dir + "/" + $0 }
    }

    @Test func killMinus9DuringHeavyWritingLeavesEveryFileReadable() throws {
        let dir = temporaryDirectory()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.bench)
        process.arguments = ["writes", dir, "3000", "400"]
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
        // Let it create files and write for a while (bounded), then kill it without warning.
        #expect(eventually(within: 20) { wspFiles(dir).count >= 2000 })
        usleep(300_000)
        #expect(process.isRunning)
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        #expect(process.terminationReason == .uncaughtSignal)

        let files = wspFiles(dir)
        #expect(files.count >= 2000)
        // Python's whisper reads every file, header and points.
        let listing = dir + "/files.txt"
        try files.joined(separator: "\n").write(toFile: listing, atomically: true, encoding: .utf8)
        let (status, output) = try run("/usr/bin/env", ["python3", "-c", """
            import whisper
            bad = 0
            for path in open('\(listing)').read().split('\\n'):
                try:
                    info = whisper.info(path)
                    assert len(info['archives']) == 3
                    whisper.fetch(path, 1699999000, 1700004000, now=1700004000)
                except Exception as e:
                    bad += 1
                    print(path, e)
            print('bad', bad)
            """])
        #expect(status == 0)
        #expect(output.hasSuffix("bad 0\n"), "\(output.suffix(500))")
        for path in files.shuffled().prefix(20) {
            #expect(try WhisperInspection.check(WhisperFile.open(path)).isEmpty, "\(path)")
        }
    }
}
