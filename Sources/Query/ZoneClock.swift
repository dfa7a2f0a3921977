import Foundation

/// A time zone's clock read at instants in rising order, as CSV writes a series' points: the zone's offset is
/// looked up again only once the next clock change has passed (never, for UTC and zones without changes), not
/// for every point. An instant before the last lookup (the next series' first point) looks up again.
public struct ZoneClock {
    private let zone: TimeZone
    private var offset = 0
    /// The instants the offset holds for: from the last lookup to the zone's next change.
    private var holds = 0..<0

    public init(_ zone: TimeZone) { self.zone = zone }

    /// The wall-clock time at epoch second `t`, as seconds counted as if the zone were UTC.
    public mutating func wallClock(_ t: Int) -> Int {
        if !holds.contains(t) {
            let instant = Date(timeIntervalSince1970: Double(t))
            offset = zone.secondsFromGMT(for: instant)
            let change = zone.nextDaylightSavingTimeTransition(after: instant).map { Int($0.timeIntervalSince1970) } ?? Int.max
            holds = t..<max(t + 1, change)
        }
        return t + offset
    }
}
