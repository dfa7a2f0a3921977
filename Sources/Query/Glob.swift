import Foundation
import Posix

/// Graphite globs in one path segment, as its finders read them (braces expanded, then Python's `fnmatch`):
/// `*`, `?`, `[a-z0-9]` (`[!x]` negated; a `]` first in the set is one of its characters, a range from a higher
/// character to a lower one has none, and `^` is a character like any other), `{a,b}` (nested too). `*` and
/// `?` never match a `.`. Matched byte by byte over UTF-8 (`?` and sets take one whole character), no regex.
public struct GlobSegment: Sendable {
    private enum Token: Sendable, Equatable {
        case byte(UInt8)
        case star
        case one
        case set(ranges: [ClosedRange<UInt32>], negated: Bool)
    }

    private let literal: String?
    /// One token list per alternative of the braces.
    private let alternatives: [[Token]]

    /// The most patterns one segment's braces may spell (`{a,b}{c,d}` spells four): braces multiply, and
    /// twenty pairs would spell a million.
    public static let maxAlternatives = 1000

    public init(_ pattern: String) throws(RenderError) {
        if !pattern.contains(where: { "*?[{".contains($0) }) {
            literal = pattern
            alternatives = []
            return
        }
        guard let spelt = Self.expandBraces(pattern) else {
            throw RenderError("'\(pattern.prefix(100))' spells more than \(Self.maxAlternatives) patterns with its braces")
        }
        literal = nil
        alternatives = spelt.map(Self.tokens)
    }

    /// The name a literal segment stands for; nil for a glob.
    var literalName: String? { literal.flatMap { $0.isEmpty || $0.hasPrefix(".") ? nil : $0 } }

    public func matches(_ name: String) -> Bool {
        if let literal { return literal == name }
        if alternatives == [[.star]] { return !name.utf8.contains(UInt8(ascii: ".")) }
        var name = name
        return name.withUTF8 { bytes in alternatives.contains { Self.match($0, bytes) } }
    }

    /// `a{b,c}d{e,f}` → `abde`, `abdf`, `acde`, `acdf`, and `{a,{b,c}}` → `a`, `b`, `c`: as Graphite's
    /// `expand_braces`, the last `{` that has a `}` after it is spelt first, with the first `}` after it, until
    /// none is left; a `{` without a `}` after it is a plain character. Nil as soon as more than
    /// `maxAlternatives` patterns would be spelt.
    private static func expandBraces(_ pattern: String) -> [String]? {
        var spelt: [String] = []
        var seen: Set<String> = []
        var pending = [pattern]
        while let next = pending.popLast() {
            guard let (open, close) = innermostBraces(next) else {
                if seen.insert(next).inserted { spelt.append(next) }
                continue
            }
            let (head, inside, tail) = (next[..<open], next[next.index(after: open)..<close], next[next.index(after: close)...])
            for choice in inside.split(separator: ",", omittingEmptySubsequences: false) { pending.append(String(head) + choice + tail) }
            guard spelt.count + pending.count <= maxAlternatives else { return nil }
        }
        return spelt
    }

    private static func innermostBraces(_ pattern: String) -> (String.Index, String.Index)? {
        var end = pattern.endIndex
        while let open = pattern[..<end].lastIndex(of: "{") {
            if let close = pattern[open...].firstIndex(of: "}") { return (open, close) }
            end = open
        }
        return nil
    }

    private static func tokens(_ pattern: String) -> [Token] {
        let scalars = Array(pattern.unicodeScalars)
        var out: [Token] = []
        var i = 0
        while i < scalars.count {
            let c = scalars[i]
            if c == "*" {
                if out.last != .star { out.append(.star) }
            } else if c == "?" {
                out.append(.one)
            } else if c == "[", let (set, next) = bracket(scalars, from: i + 1) {
                out.append(set)
                i = next
                continue
            } else {
                out += String(c).utf8.map(Token.byte)
            }
            i += 1
        }
        return out
    }

    /// A `[...]` set starting after its `[`; nil when it has no closing `]` (then `[` is a plain character).
    private static func bracket(_ scalars: [Unicode.Scalar], from start: Int) -> (Token, Int)? {
        var i = start
        var negated = false
        if i < scalars.count, scalars[i] == "!" {
            negated = true
            i += 1
        }
        var ranges: [ClosedRange<UInt32>] = []
        var first = true
        while i < scalars.count {
            let c = scalars[i]
            if c == "]" && !first { return (.set(ranges: ranges, negated: negated), i + 1) }
            first = false
            if i + 2 < scalars.count, scalars[i + 1] == "-", scalars[i + 2] != "]" {
                // fnmatch drops a range that runs backwards (`[b-a]`): it holds no character.
                if c.value <= scalars[i + 2].value { ranges.append(c.value...scalars[i + 2].value) }
                i += 3
            } else {
                ranges.append(c.value...c.value)
                i += 1
            }
        }
        return nil
    }

    /// Backtracking match; a `*` tries every length up to the next `.`. States known to fail are remembered
    /// when there are several stars, so no pattern takes more than tokens x name-length steps.
    private static func match(_ tokens: [Token], _ name: UnsafeBufferPointer<UInt8>) -> Bool {
        if tokens.count(where: { $0 == .star }) < 2 { return match(tokens, 0, name, 0, failed: nil) }
        var failed = [Bool](repeating: false, count: (tokens.count + 1) * (name.count + 1))
        return failed.withUnsafeMutableBufferPointer { match(tokens, 0, name, 0, failed: $0) }
    }

    private static func match(_ tokens: [Token], _ start: Int, _ name: UnsafeBufferPointer<UInt8>, _ at: Int, failed: UnsafeMutableBufferPointer<Bool>?) -> Bool {
        var t = start, n = at
        while t < tokens.count {
            if case .star = tokens[t] {
                let state = t * (name.count + 1) + n
                if let failed, failed[state] { return false }
                var k = n
                while true {
                    if match(tokens, t + 1, name, k, failed: failed) { return true }
                    if k >= name.count || name[k] == UInt8(ascii: ".") { break }
                    k += scalarLength(name, at: k)
                }
                failed?[state] = true
                return false
            }
            guard n < name.count, let next = step(tokens[t], name, at: n) else { return false }
            t += 1
            n = next
        }
        return n == name.count
    }

    /// Where the name continues after `token` matches at `n`; nil when it does not match there.
    private static func step(_ token: Token, _ name: UnsafeBufferPointer<UInt8>, at n: Int) -> Int? {
        switch token {
        case .star: return n
        case .byte(let b): return name[n] == b ? n + 1 : nil
        case .one: return name[n] == UInt8(ascii: ".") ? nil : n + scalarLength(name, at: n)
        case .set(let ranges, let negated):
            let length = scalarLength(name, at: n)
            let scalar = String(decoding: UnsafeBufferPointer(rebasing: name[n..<n + length]), as: UTF8.self).unicodeScalars.first!.value
            return ranges.contains { $0.contains(scalar) } != negated ? n + length : nil
        }
    }

    private static func scalarLength(_ name: UnsafeBufferPointer<UInt8>, at n: Int) -> Int {
        var end = n + 1
        while end < name.count, name[end] & 0xC0 == 0x80 { end += 1 }
        return end - n
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
    public func find(_ query: String) throws(RenderError) -> [Node] {
        try find(query, leavesOnly: false)
    }

    /// With `leavesOnly`, branches are neither looked up nor returned.
    private func find(_ query: String, leavesOnly: Bool) throws(RenderError) -> [Node] {
        guard query.utf8.count <= 1000, !query.utf8.contains(where: { $0 == UInt8(ascii: "/") || $0 == 0 }) else { return [] }
        var segments: [GlobSegment] = []
        for text in query.split(separator: ".", omittingEmptySubsequences: false) { segments.append(try GlobSegment(String(text))) }
        let literals = segments.compactMap(\.literalName)
        if literals.count == segments.count { return exactNodes(query, literals, leavesOnly: leavesOnly) }
        var frontier: [(dir: String, path: String)] = [(root, "")]
        for (depth, segment) in segments.enumerated() {
            let last = depth == segments.count - 1
            var next: [(String, String)] = []
            var nodes: [Node] = []
            for (dir, path) in frontier {
                for entry in children(dir, segment) where segment.matches(entry.name) {
                    let full = path.isEmpty ? entry.name : path + "." + entry.name
                    if last {
                        if entry.isLeaf || !leavesOnly { nodes.append(Node(path: full, isLeaf: entry.isLeaf)) }
                    } else if !entry.isLeaf {
                        next.append((dir + "/" + entry.name, full))
                    }
                    if nodes.count + next.count > maxSeries { break }
                }
            }
            if last { return Self.distinct(nodes) }
            frontier = next
        }
        return []
    }

    /// A query without globs names a branch, a leaf, or both: two lookups whatever the depth (one for leaves
    /// only), where walking the segments took two per level.
    private func exactNodes(_ query: String, _ segments: [String], leavesOnly: Bool) -> [Node] {
        let path = root + "/" + segments.joined(separator: "/")
        var nodes: [Node] = []
        if !leavesOnly, File.kind(path) == true { nodes.append(Node(path: query, isLeaf: false)) }
        if File.kind(path + ".wsp") == false { nodes.append(Node(path: query, isLeaf: true)) }
        return nodes
    }

    /// Sorted by path, each node once. A name that is both a series and a branch (`a.b` beside `a.b.c`) is
    /// both nodes, the branch first, as Graphite's finder yields them: the series still renders.
    private static func distinct(_ nodes: [Node]) -> [Node] {
        let sorted = nodes.sorted { $0.path < $1.path || ($0.path == $1.path && !$0.isLeaf && $1.isLeaf) }
        var out: [Node] = []
        out.reserveCapacity(sorted.count)
        for node in sorted where out.last != node { out.append(node) }
        return out
    }

    /// Every series under the root, sorted by code point as Python sorts (Graphite's `/metrics/index.json`); a
    /// name that is also a branch is listed with the series under it. Nil when the walk meets more than
    /// `limit` series and directories.
    public func allSeries(limit: Int) -> [String]? {
        var names: [String] = []
        var pending: [(dir: String, path: String)] = [(root, "")]
        var seen = 0
        while let (dir, path) = pending.popLast() {
            for entry in DirectoryListings.shared.children(of: dir) {
                seen += 1
                guard seen <= limit else { return nil }
                let full = path.isEmpty ? entry.name : path + "." + entry.name
                if entry.isLeaf { names.append(full) } else { pending.append((dir + "/" + entry.name, full)) }
            }
        }
        return names.sorted { $0.precedesAsPython($1) }
    }

    /// The series (leaves) a path glob names.
    public func expand(_ pattern: String) throws(RenderError) -> [String] {
        try find(pattern, leavesOnly: true).map(\.path)
    }

    /// The nodes under `dir` a segment could match: a literal segment is looked up, not listed.
    private func children(_ dir: String, _ segment: GlobSegment) -> [(name: String, isLeaf: Bool)] {
        if let literal = segment.literalName {
            var out: [(String, Bool)] = []
            if File.kind(dir + "/" + literal) == true { out.append((literal, false)) }
            if File.kind(dir + "/" + literal + ".wsp") == false { out.append((literal, true)) }
            return out
        }
        return DirectoryListings.shared.children(of: dir)
    }
}
