/// One archive's resolution and length, parsed from `10s:6h` or `10:2160` as whisper's parseRetentionDef does.
public struct Retention: Sendable, Equatable, CustomStringConvertible {
    public let secondsPerPoint: Int
    public let points: Int

    public init(secondsPerPoint: Int, points: Int) {
        self.secondsPerPoint = secondsPerPoint
        self.points = points
    }

    public var description: String { "\(secondsPerPoint):\(points)" }

    /// Parses `PRECISION:DURATION`; a number without unit is seconds for the precision and points for the duration.
    public init?(parsing text: some StringProtocol) {
        let parts = text.split(separator: ":")
        guard parts.count == 2, let precision = Self.seconds(parts[0]), precision > 0 else { return nil }
        if let points = Int(parts[1]) {
            guard points > 0 else { return nil }
            self.init(secondsPerPoint: precision, points: points)
        } else {
            guard let duration = Self.seconds(parts[1]), duration >= precision else { return nil }
            self.init(secondsPerPoint: precision, points: duration / precision)
        }
    }

    /// `60`, `10s`, `1m`/`1min`, `6h`, `7d`, `1w`, `5y` in seconds.
    static func seconds(_ text: some StringProtocol) -> Int? {
        let digits = text.prefix { $0.isASCII && $0.isNumber }
        guard let n = Int(digits), !digits.isEmpty else { return nil }
        let unit = text.dropFirst(digits.count).lowercased()
        let multipliers: [(String, Int)] = [
            ("", 1), ("s", 1), ("sec", 1), ("second", 1), ("seconds", 1), ("m", 60), ("min", 60), ("minute", 60), ("minutes", 60),
            ("h", 3600), ("hour", 3600), ("hours", 3600), ("d", 86400), ("day", 86400), ("days", 86400),
            ("w", 604800), ("week", 604800), ("weeks", 604800), ("y", 31_536_000), ("year", 31_536_000), ("years", 31_536_000),
        ]
        guard let m = multipliers.first(where: { $0.0 == unit })?.1 else { return nil }
        let (value, overflow) = n.multipliedReportingOverflow(by: m)
        return overflow ? nil : value
    }

    /// whisper's validateArchiveList: sorted by precision, no duplicates, each precision divides the next,
    /// each archive covers more time than the one before and holds enough points to fill one of the next.
    public static func validate(_ list: [Retention]) -> String? {
        guard !list.isEmpty else { return "at least one archive is needed" }
        let sorted = list.sorted { $0.secondsPerPoint < $1.secondsPerPoint }
        for (a, b) in zip(sorted, sorted.dropFirst()) {
            if a.secondsPerPoint == b.secondsPerPoint { return "two archives with the same precision \(a.secondsPerPoint) s" }
            if b.secondsPerPoint % a.secondsPerPoint != 0 { return "precision \(a.secondsPerPoint) s does not divide \(b.secondsPerPoint) s" }
            if b.secondsPerPoint * b.points <= a.secondsPerPoint * a.points { return "archive \(b) does not cover more time than \(a)" }
            if a.points < b.secondsPerPoint / a.secondsPerPoint { return "archive \(a) has fewer points than one point of \(b) consolidates" }
        }
        guard sorted.allSatisfy({ $0.secondsPerPoint * $0.points <= Int(UInt32.max) }) else { return "a retention is too long for whisper" }
        return nil
    }
}
