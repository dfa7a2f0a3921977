import Glibc
import Posix
import Synchronization
import Whisper

/// The metric tree's directory listings, kept while the directory's modification time says they are current.
/// A listing taken less than `racyWindow` after that time is not trusted (a change within the same clock tick
/// keeps the time), so a new series always shows up on the next request after its file exists.
final class DirectoryListings: Sendable {
    typealias Children = [(name: String, isLeaf: Bool)]

    private struct Listing {
        let modified: Int
        let children: Children
    }

    static let shared = DirectoryListings()
    private static let racyWindowNanoseconds = 100_000_000
    private static let maxDirectories = 50_000
    private let listings = Mutex<[String: Listing]>([:])

    /// The series (`*.wsp`, without the suffix) and subdirectories of `dir`, sorted by name; no dot-files, and no
    /// names a series cannot have (`SeriesPaths.isSegment`: files copied in by hand), which render could not read.
    func children(of dir: String) -> Children {
        var info = stat()
        guard stat(dir, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR else { return [] }
        let modified = Int(info.st_mtim.tv_sec) * 1_000_000_000 + Int(info.st_mtim.tv_nsec)
        if let cached = listings.withLock({ $0[dir] }), cached.modified == modified { return cached.children }
        let children = Self.read(dir)
        if wallNanoseconds() - modified > Self.racyWindowNanoseconds {
            listings.withLock { all in
                if all.count >= Self.maxDirectories { all.removeAll() }
                all[dir] = Listing(modified: modified, children: children)
            }
        }
        return children
    }

    private static func read(_ dir: String) -> Children {
        File.listDirectory(dir).compactMap { entry -> (String, Bool)? in
            if entry.isDirectory { return SeriesPaths.isSegment(entry.name) ? (entry.name, false) : nil }
            guard entry.name.hasSuffix(".wsp"), case let stem = entry.name.dropLast(4), SeriesPaths.isSegment(stem) else { return nil }
            return (String(stem), true)
        }.sorted { $0.0 < $1.0 }
    }
}
