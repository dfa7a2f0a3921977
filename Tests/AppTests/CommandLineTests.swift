import Foundation
import Testing
import TestSupport

/// The `telewall` binary built beside the tests, driven as a user would.
enum Binary {
    static let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent(".build/debug/telewall").path

    static func run(_ arguments: [String]) throws -> (Int32, String) { try TestSupport.run(path, arguments) }
}

/// Makes Whisper files with Python's `whisper`, independently of Telewall.
func pythonWhisper(_ code: String) throws {
    let (status, _) = try run("/usr/bin/env", ["python3", "-c", "import whisper\n" + code])
    #expect(status == 0)
}

@Suite struct WhisperCommandTests {
    @Test func infoDumpAndCheckDescribeAFile() throws {
        let dir = temporaryDirectory()
        try pythonWhisper("""
            whisper.create('\(dir)/a.wsp', [(10, 6), (60, 10)], xFilesFactor=0.25, aggregationMethod='max')
            whisper.update_many('\(dir)/a.wsp', [(1700000000, 4.5)], now=1700000005)
            """)
        let (infoStatus, info) = try Binary.run(["whisper", "info", dir + "/a.wsp"])
        #expect(infoStatus == 0)
        #expect(info.contains("aggregationMethod: max") && info.contains("maxRetention: 600") && info.contains("xFilesFactor: 0.25"))
        #expect(info.contains("secondsPerPoint: 60") && info.contains("points: 10"))
        let (_, dump) = try Binary.run(["whisper", "dump", dir + "/a.wsp"])
        #expect(dump.contains("0: 1700000000, 4.5"))
        let (okStatus, ok) = try Binary.run(["whisper", "check", dir + "/a.wsp"])
        #expect(okStatus == 0 && ok.contains("ok"))
        FileManager.default.createFile(atPath: dir + "/bad.wsp", contents: Data([0, 0, 0, 9] + [UInt8](repeating: 0, count: 40)))
        let (badStatus, bad) = try Binary.run(["whisper", "check", dir + "/bad.wsp"])
        #expect(badStatus == 1 && bad.contains("\(dir)/bad.wsp") && bad.contains("unknown aggregation type 9"))
    }

    @Test func importBringsAGraphiteTreeIntoATenant() throws {
        let source = temporaryDirectory()
        let data = temporaryDirectory()
        try FileManager.default.createDirectory(atPath: source + "/servers/web1", withIntermediateDirectories: true)
        try pythonWhisper("""
            for name, method in [('servers/web1/load', 'average'), ('servers/web1/requests', 'sum'), ('top', 'max')]:
                whisper.create('\(source)/' + name + '.wsp', [(60, 1440), (3600, 24 * 30)], aggregationMethod=method)
                whisper.update_many('\(source)/' + name + '.wsp', [(1700000000 - 60 * i, float(i)) for i in range(50)], now=1700000000)
            whisper.create('\(source)/bad name.wsp', [(60, 10)])
            """)
        FileManager.default.createFile(atPath: source + "/servers/broken.wsp", contents: Data([1, 2, 3]))
        FileManager.default.createFile(atPath: source + "/notes.txt", contents: Data("x".utf8))
        let (created, _) = try Binary.run(["account", "create", "--data", data, "--email", "ops@example.com", "--password", "password-123"])
        #expect(created == 0)
        let (status, output) = try Binary.run(["import-whisper", source, "--account", "ops@example.com", "--data", data])
        #expect(status == 0)
        #expect(output.contains("imported 3 series"), "\(output)")
        #expect(output.contains("skipped 2"))
        #expect(output.contains("skipped bad name.wsp") && output.contains("skipped servers/broken.wsp"))
        #expect(output.contains("1/5 "), "plain progress lines when not on a terminal")
        let tenants = try FileManager.default.contentsOfDirectory(atPath: data + "/whisper")
        #expect(tenants.count == 1)
        let imported = data + "/whisper/\(tenants[0])/servers/web1/requests.wsp"
        // Python reads the imported copy exactly as the original, retention and aggregation kept.
        let (_, same) = try run("/usr/bin/env", ["python3", "-c", """
            import whisper
            a = whisper.fetch('\(source)/servers/web1/requests.wsp', 1699990000, 1700000000, now=1700000000)
            b = whisper.fetch('\(imported)', 1699990000, 1700000000, now=1700000000)
            print(a == b and whisper.info('\(imported)')['aggregationMethod'] == 'sum' and len([v for v in b[1] if v is not None]) == 50)
            """])
        #expect(same.trimmingCharacters(in: .whitespacesAndNewlines) == "True")
        // A second import skips what is there, and says so.
        let (_, again) = try Binary.run(["import-whisper", source, "--account", "ops@example.com", "--data", data])
        #expect(again.contains("imported 0 series") && again.contains("exists already"))
    }
}
