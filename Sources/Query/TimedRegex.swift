import Foundation
import Posix

/// A regular expression from a target (aliasSub's `search`) run with a time limit. Such patterns backtrack,
/// and some take exponential time on some names (`(a+)+$` over `aaaa…b`: a second at 24 characters, hours at
/// 40); the matcher's progress callback reads the clock and stops it, so one request cannot hold a compute
/// thread that every tenant's renders share.
struct TimedRegex {
    private let regex: NSRegularExpression

    init?(_ pattern: String) {
        guard let regex = try? NSRegularExpression(pattern: pattern) else { return nil }
        self.regex = regex
    }

    /// Whether the pattern matches anywhere in `text` (Python's `re.search`), or nil once the calling thread's
    /// CPU time (`threadCPUSeconds`) passes `deadline`.
    func finds(in text: String, deadline: Double) -> Bool? {
        matches(in: text, deadline: deadline, first: true).map { !$0.isEmpty }
    }

    /// `stringByReplacingMatches(in:range:withTemplate:)`, or nil once the calling thread's CPU time passes
    /// `deadline`.
    func replacingMatches(in text: String, template: String, deadline: Double) -> String? {
        guard let matches = matches(in: text, deadline: deadline, first: false) else { return nil }
        let utf16 = Array(text.utf16)
        var out: [UInt16] = []
        var copied = 0
        for match in matches {
            out += utf16[copied..<match.range.location]
            out += regex.replacementString(for: match, in: text, offset: 0, template: template).utf16
            copied = match.range.location + match.range.length
        }
        out += utf16[copied...]
        return String(decoding: out, as: UTF16.self)
    }

    /// The matches in `text` (the first only, with `first`), or nil when the deadline passed first.
    private func matches(in text: String, deadline: Double, first: Bool) -> [NSTextCheckingResult]? {
        var matches: [NSTextCheckingResult] = []
        var timedOut = false
        regex.enumerateMatches(in: text, options: .reportProgress, range: NSRange(text.startIndex..., in: text)) { match, _, stop in
            if let match { matches.append(match) }
            if threadCPUSeconds() > deadline {
                timedOut = true
                stop.pointee = true
            } else if first && !matches.isEmpty {
                stop.pointee = true
            }
        }
        return timedOut ? nil : matches
    }
}
