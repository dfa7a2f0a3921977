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

    /// `stringByReplacingMatches(in:range:withTemplate:)`, or nil once the calling thread's CPU time
    /// (`threadCPUSeconds`) passes `deadline`.
    func replacingMatches(in text: String, template: String, deadline: Double) -> String? {
        let whole = NSRange(text.startIndex..., in: text)
        var matches: [NSTextCheckingResult] = []
        var timedOut = false
        regex.enumerateMatches(in: text, options: .reportProgress, range: whole) { match, _, stop in
            if let match { matches.append(match) }
            if threadCPUSeconds() > deadline {
                timedOut = true
                stop.pointee = true
            }
        }
        if timedOut { return nil }
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
}
