import App
import ArgumentParser
import Foundation
import Whisper

/// `telewall whisper info|dump|check FILE`.
struct WhisperCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "whisper", abstract: "Inspect a Whisper file.", subcommands: [Info.self, Dump.self, Check.self])

    struct FileArgument: ParsableArguments {
        @Argument(help: "A .wsp file.") var file: String

        func open() throws -> WhisperFile {
            do { return try WhisperFile.open(file) } catch { throw ValidationError(error.description) }
        }
    }

    struct Info: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print the header and archives.")
        @OptionGroup var file: FileArgument
        func run() throws { print(WhisperInspection.info(try file.open()), terminator: "") }
    }

    struct Dump: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print the header and every stored point.")
        @OptionGroup var file: FileArgument
        func run() throws { print(try WhisperInspection.dump(try file.open()), terminator: "") }
    }

    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Check a file; exit 1 when it has problems.")
        @OptionGroup var file: FileArgument

        func run() throws {
            let problems: [String]
            do { problems = try WhisperInspection.check(try WhisperFile.open(file.file)) } catch {
                problems = [error.description]
            }
            if problems.isEmpty {
                print("\(file.file): ok")
            } else {
                for p in problems { print("\(file.file): \(p)") }
                throw ExitCode(1)
            }
        }
    }
}

/// `telewall import-whisper DIR --account EMAIL`.
struct ImportWhisper: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import-whisper", abstract: "Import a Graphite storage tree into an account's tenant.")

    @OptionGroup var common: CommonOptions
    @Argument(help: "The root of a Graphite whisper tree (series a.b.c is a/b/c.wsp).") var directory: String
    @Option(help: "The account whose tenant receives the series.") var account: String

    func run() throws {
        let app = try buildApp(config: try common.load(), logger: common.logger("telewall"))
        guard let owner = try app.store.account(email: account) else { throw ValidationError("no account \(account)") }
        let job = WhisperImport(source: directory, paths: SeriesPaths(root: app.config.whisperDirectory), tenant: owner.tenantID)
        let bar = ProgressBar(interactive: isatty(STDOUT_FILENO) == 1)
        let summary = job.run(progress: bar.show)
        bar.finish()
        print("imported \(summary.imported.count) series (\(summary.bytes / 1024) KiB) into \(owner.email)'s tenant; skipped \(summary.skipped.count)")
        for (file, reason) in summary.skipped { print("  skipped \(file): \(reason)") }
    }
}

/// A progress bar on a terminal, plain lines elsewhere.
final class ProgressBar {
    private let interactive: Bool
    private var lastPlain = -1

    init(interactive: Bool) { self.interactive = interactive }

    func show(done: Int, total: Int, file: String) {
        guard total > 0 else { return }
        if interactive {
            let width = 30
            let filled = done * width / total
            let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled)
            FileHandle.standardOutput.write(Data("\r[\(bar)] \(done)/\(total) \(file.prefix(40))\u{1B}[K".utf8))
        } else if done != lastPlain && done < total {
            print("\(done + 1)/\(total) \(file)")
            lastPlain = done
        }
    }

    func finish() {
        if interactive { print("") }
    }
}
