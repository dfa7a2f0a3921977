import Foundation
import Posix

/// Brings an existing Graphite storage tree into a tenant: each valid `.wsp` file is copied whole (keeping its
/// own retention and aggregation) to the tenant's path for its series name; anything else is skipped with a reason.
public struct WhisperImport {
    public struct Summary: Sendable {
        public var imported: [String] = []
        public var bytes = 0
        public var skipped: [(file: String, reason: String)] = []
    }

    public let source: String
    public let paths: SeriesPaths
    public let tenant: String

    public init(source: String, paths: SeriesPaths, tenant: String) {
        self.source = source
        self.paths = paths
        self.tenant = tenant
    }

    /// The `.wsp` files under `source`, relative and sorted; symbolic links are not followed.
    public func candidates() -> [String] {
        guard let walker = FileManager.default.enumerator(atPath: source) else { return [] }
        var found: [String] = []
        while let relative = walker.nextObject() as? String {
            if relative.hasSuffix(".wsp"), (walker.fileAttributes?[.type] as? FileAttributeType) == .typeRegular {
                found.append(relative)
            }
        }
        return found.sorted()
    }

    /// Imports every candidate, calling `progress(done, total, file)` before each.
    public func run(progress: (Int, Int, String) -> Void) -> Summary {
        var summary = Summary()
        let files = candidates()
        for (i, relative) in files.enumerated() {
            progress(i, files.count, relative)
            do {
                summary.bytes += try importFile(relative)
                summary.imported.append(relative)
            } catch {
                summary.skipped.append((relative, error.description))
            }
        }
        progress(files.count, files.count, "")
        return summary
    }

    /// Copies one file after checking it; returns its size.
    func importFile(_ relative: String) throws(WhisperError) -> Int {
        let series = String(relative.dropLast(4)).split(separator: "/").joined(separator: ".")
        let destination = try paths.path(tenant: tenant, series: series)
        let file = try WhisperFile.open(source + "/" + relative)
        let problems = try WhisperInspection.check(file)
        guard problems.isEmpty else { throw .corrupt(path: relative, problem: problems.joined(separator: "; ")) }
        guard !File.exists(destination) else { throw .exists(path: "series \(series)") }
        try file.copy(to: destination)
        return file.header.fileSize
    }
}

extension WhisperFile {
    /// Copies this file to `path`, sparse where it is all zeros, appearing there whole or not at all.
    func copy(to path: String) throws(WhisperError) {
        let directory = String(path[..<path.lastIndex(of: "/")!])
        let temporary = path + ".tmp-" + String(UInt64.random(in: 0...UInt64.max), radix: 36)
        do {
            try File.makeDirectories(directory)
            let out = try File.open(temporary, .createExclusive)
            defer { out.close() }
            try File.truncate(out, to: header.fileSize)
            let block = 64 * 1024
            var offset = 0
            while offset < header.fileSize {
                let bytes = try File.read(fd, count: min(block, header.fileSize - offset), at: offset)
                if bytes.contains(where: { $0 != 0 }) { try File.write(out, bytes, at: offset) }
                offset += block
            }
            try File.link(temporary, to: path)
        } catch {
            File.remove(temporary)
            throw error.isAlreadyExists ? .exists(path: path) : .io(path: path, error: error.description)
        }
        File.remove(temporary)
    }
}
