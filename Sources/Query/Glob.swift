import Foundation
import Posix

/// Graphite globs in one path segment: `*`, `?`, `[a-z0-9]`, `{a,b}`.
public struct GlobSegment: @unchecked Sendable {
    // @unchecked: the compiled Regex is immutable; matching does not mutate it.
    private let regex: Regex<AnyRegexOutput>?
    private let literal: String?

    public init(_ pattern: String) {
        if !pattern.contains(where: { "*?[{".contains($0) }) {
            literal = pattern
            regex = nil
            return
        }
        literal = nil
        var out = "^"
        var inBraces = false
        var inBracket = false
        for ch in pattern {
            switch ch {
            case "*" where !inBracket: out += "[^.]*"
            case "?" where !inBracket: out += "[^.]"
            case "{" where !inBracket: inBraces = true; out += "(?:"
            case "}" where inBraces: inBraces = false; out += ")"
            case "," where inBraces: out += "|"
            case "[": inBracket = true; out += "["
            case "]" where inBracket: inBracket = false; out += "]"
            case "-" where inBracket: out += "-"
            default:
                out += ch.isLetter || ch.isNumber || ch == "_" ? String(ch) : "\\" + String(ch)
            }
        }
        regex = try? Regex(out + "$")
    }

    /// The name a literal segment stands for; nil for a glob.
    var literalName: String? { literal.flatMap { $0.isEmpty || $0.hasPrefix(".") ? nil : $0 } }

    public func matches(_ name: String) -> Bool {
        if let literal { return literal == name }
        guard let regex else { return false }
        return (try? regex.wholeMatch(in: name)) != nil
    }
}

/// A tenant's metric tree on disk: `<root>/<a>/<b>/<c>.wsp` is the series `a.b.c`.
public struct MetricTree: Sendable {
    public let root: String
    public let maxSeries: Int

    public init(root: String, maxSeries: Int = 10_000) {
        self.root = root
        self.maxSeries = maxSeries
    }

    public struct Node: Sendable, Equatable {
        public let path: String
        public let isLeaf: Bool
    }

    /// The nodes matching a glob query (`stats.counters.*`): branches (directories) and leaves (series).
    public func find(_ query: String) -> [Node] {
        let segments = query.split(separator: ".", omittingEmptySubsequences: false).map { GlobSegment(String($0)) }
        guard !segments.isEmpty, query.utf8.count <= 1000, !query.contains("/") else { return [] }
        var frontier: [(dir: String, path: String)] = [(root, "")]
        for (depth, segment) in segments.enumerated() {
            let last = depth == segments.count - 1
            var next: [(String, String)] = []
            var nodes: [Node] = []
            for (dir, path) in frontier {
                for entry in children(dir, segment) where segment.matches(entry.name) {
                    let full = path.isEmpty ? entry.name : path + "." + entry.name
                    if last {
                        nodes.append(Node(path: full, isLeaf: entry.isLeaf))
                    } else if !entry.isLeaf {
                        next.append((dir + "/" + entry.name, full))
                    }
                    if nodes.count + next.count > maxSeries { break }
                }
            }
            if last { return Dictionary(grouping: nodes, by: \.path).values.map { $0.first { $0.isLeaf == false } ?? $0[0] }.sorted { $0.path < $1.path } }
            frontier = next
        }
        return []
    }

    /// The series (leaves) a path glob names.
    public func expand(_ pattern: String) -> [String] {
        find(pattern).filter(\.isLeaf).map(\.path)
    }

    /// The nodes under `dir` a segment could match: a literal segment is looked up, not listed.
    private func children(_ dir: String, _ segment: GlobSegment) -> [(name: String, isLeaf: Bool)] {
        if let literal = segment.literalName {
            var out: [(String, Bool)] = []
            if File.kind(dir + "/" + literal) == true { out.append((literal, false)) }
            if File.kind(dir + "/" + literal + ".wsp") == false { out.append((literal, true)) }
            return out
        }
        return File.listDirectory(dir).compactMap { entry in
            if entry.name.hasPrefix(".") { return nil }
            if entry.isDirectory { return (entry.name, false) }
            return entry.name.hasSuffix(".wsp") ? (String(entry.name.dropLast(4)), true) : nil
        }
    }
}
