import Glibc
import HTTP

/// A growable byte buffer written through a pointer: the render JSON's hot loop appends without Array's
/// per-append uniqueness and capacity checks. Each append makes room once, then writes through a cursor
/// (`ByteCursor`) that stays in a register, and stores the count once at the end.
struct ByteWriter: ~Copyable {
    private var storage: UnsafeMutablePointer<UInt8>
    private var capacity: Int
    private var count = 0

    init(capacity: Int) {
        self.capacity = max(64, capacity)
        storage = Self.resize(nil, to: self.capacity)
    }

    deinit { free(storage) }

    /// The bytes written, handed over without a copy (the writer is used up). What the estimate reserved
    /// beyond them is given back first: a shrinking `realloc` stays in place.
    consuming func finish() -> ResponseBody {
        let written = WrittenBytes(takingOwnershipOf: Self.resize(storage, to: max(1, count)), count: count)
        discard self
        return .written(written)
    }

    /// Makes room for `extra` bytes, then writes them through a cursor from the end of what is written.
    @inline(__always)
    private mutating func writing(atMost extra: Int, _ write: (inout ByteCursor) -> Void) {
        if count + extra > capacity { grow(extra) }
        var cursor = ByteCursor(storage + count)
        write(&cursor)
        count = cursor.at - storage
    }

    @inline(never)
    private mutating func grow(_ extra: Int) {
        let grown = max(capacity * 2, count + extra)
        storage = Self.resize(storage, to: grown)
        capacity = grown
    }

    /// `realloc`: a large block grows by remapping its pages rather than copying them.
    private static func resize(_ pointer: UnsafeMutablePointer<UInt8>?, to size: Int) -> UnsafeMutablePointer<UInt8> {
        guard let raw = realloc(pointer, size) else { fatalError("out of memory for a \(size)-byte answer") }
        return raw.assumingMemoryBound(to: UInt8.self)
    }

    @inline(__always)
    mutating func append(byte: UInt8) {
        writing(atMost: 1) { $0.byte(byte) }
    }

    mutating func append(bytes: [UInt8]) {
        writing(atMost: bytes.count) { cursor in bytes.withUnsafeBufferPointer { cursor.bytes($0) } }
    }

    @inline(__always)
    mutating func append(_ text: StaticString) {
        writing(atMost: text.utf8CodeUnitCount) { $0.text(text) }
    }

    @inline(__always)
    mutating func appendInteger(_ n: Int) {
        writing(atMost: ByteCursor.longestInteger) { $0.integer(n) }
    }

    mutating func appendFloat(_ v: Double) {
        writing(atMost: ByteCursor.longestFloat) { $0.float(v) }
    }

    /// A series' points, `[value,timestamp]` separated by commas. A value JSON has no number for (NaN, an
    /// infinity) is written as null; `dropNulls` leaves out every point that would be written as null. Room is
    /// made once for each batch of points, which one loop then writes.
    mutating func appendPoints(_ values: ArraySlice<Double?>, start: Int, step: Int, dropNulls: Bool) {
        let longestPoint = 4 + ByteCursor.longestFloat + ByteCursor.longestInteger
        var timestamps = TimestampDigits(start)
        var first = true
        values.withUnsafeBufferPointer { points in
            for batch in stride(from: 0, to: points.count, by: 256) {
                let end = min(points.count, batch + 256)
                writing(atMost: (end - batch) * longestPoint) { cursor in
                    for value in points[batch..<end] {
                        defer { timestamps.advance(by: step) }
                        if dropNulls && !(value?.isFinite ?? false) { continue }
                        if !first { cursor.byte(UInt8(ascii: ",")) }
                        first = false
                        cursor.byte(UInt8(ascii: "["))
                        if let value, value.isFinite { cursor.float(value) } else { cursor.text("null") }
                        cursor.byte(UInt8(ascii: ","))
                        timestamps.write(to: &cursor)
                        cursor.byte(UInt8(ascii: "]"))
                    }
                }
            }
        }
    }

    /// `YYYY-MM-DD HH:MM:SS`, as Graphite's CSV writes a point's time, of a wall-clock time given as seconds
    /// counted as if its zone were UTC. The date comes from `day`, which moves to the time's day first.
    mutating func appendDateTime(wallClock: Int, day: inout CalendarDay) {
        day.move(to: wallClock)
        let (hours, rest) = (wallClock - day.seconds.lowerBound).quotientAndRemainder(dividingBy: 3600)
        let (minutes, seconds) = rest.quotientAndRemainder(dividingBy: 60)
        writing(atMost: 40) { cursor in
            cursor.integer(day.year)
            cursor.field(UInt8(ascii: "-"), day.month)
            cursor.field(UInt8(ascii: "-"), day.dayOfMonth)
            cursor.field(UInt8(ascii: " "), hours)
            cursor.field(UInt8(ascii: ":"), minutes)
            cursor.field(UInt8(ascii: ":"), seconds)
        }
    }

    /// A JSON string: copied as it is when nothing in it needs escaping (the common case for metric names).
    mutating func appendJSONString(_ text: String) {
        var text = text
        let plain = text.withUTF8 { bytes in
            guard !bytes.contains(where: JSON.needsEscaping) else { return false }
            writing(atMost: bytes.count + 2) { cursor in
                cursor.byte(UInt8(ascii: "\""))
                cursor.bytes(bytes)
                cursor.byte(UInt8(ascii: "\""))
            }
            return true
        }
        if !plain { append(bytes: JSON.string(text).bytes) }
    }
}

/// A position in a `ByteWriter`'s buffer with room made ahead of it: each write stores and moves on, with no
/// check.
struct ByteCursor {
    private(set) var at: UnsafeMutablePointer<UInt8>

    init(_ at: UnsafeMutablePointer<UInt8>) { self.at = at }

    /// Python writes a float in at most 24 characters; an Int takes at most 20.
    static let longestFloat = 32
    static let longestInteger = 21

    @inline(__always)
    mutating func byte(_ byte: UInt8) {
        at.pointee = byte
        at += 1
    }

    @inline(__always)
    mutating func bytes(_ bytes: UnsafeBufferPointer<UInt8>) {
        guard let base = bytes.baseAddress else { return }
        at.update(from: base, count: bytes.count)
        at += bytes.count
    }

    @inline(__always)
    mutating func text(_ text: StaticString) {
        at.update(from: text.utf8Start, count: text.utf8CodeUnitCount)
        at += text.utf8CodeUnitCount
    }

    private static let digitPairs: StaticString = "00010203040506070809101112131415161718192021222324252627282930313233343536373839404142434445464748495051525354555657585960616263646566676869707172737475767778798081828384858687888990919293949596979899"

    /// Two decimal digits of `n` (0...99) from the digit-pair table.
    @inline(__always)
    mutating func pair(_ n: Int) {
        UnsafeMutableRawPointer(at).copyMemory(from: Self.digitPairs.utf8Start + n &* 2, byteCount: 2)
        at += 2
    }

    /// A separator and a two-digit field of a date or a time.
    mutating func field(_ separator: UInt8, _ value: Int) {
        byte(separator)
        pair(value)
    }

    /// Decimal digits, written right to left two at a time once their number is known.
    @inline(__always)
    mutating func integer(_ n: Int) {
        if n < 0 { byte(UInt8(ascii: "-")) }
        let magnitude = UInt64(n.magnitude)
        if magnitude < 100 { return magnitude < 10 ? byte(UInt8(ascii: "0") &+ UInt8(magnitude)) : pair(Int(magnitude)) }
        // Counted by comparisons: for the few digits of most points this beats `decimalLength`'s table lookup
        // (a 5-digit value took 1 ns more that way).
        var length = 3
        var power: UInt64 = 1000
        while length < 20 && magnitude >= power {
            length &+= 1
            power &*= 10
        }
        let end = at + length
        var back = ByteCursor(end)
        var rest = magnitude
        back.digitsBefore(&rest)
        at = end
    }

    /// Raw bytes of a word, of which only the first `count` (at most 8) are kept: the cursor moves by `count`.
    @inline(__always)
    mutating func word(_ word: UInt64, count: Int) {
        UnsafeMutableRawPointer(at).storeBytes(of: word, as: UInt64.self)
        at += count
    }

    /// Four raw bytes.
    @inline(__always)
    mutating func four(_ bytes: UInt32) {
        UnsafeMutableRawPointer(at).storeBytes(of: bytes, as: UInt32.self)
        at += 4
    }

    /// Python's repr of a float: whole numbers below 1e16 as `3.0`, other values from 1e-4 to 1e16 as their
    /// shortest decimal (`ShortestDecimal`), digit by digit; the rest, which Python writes with an exponent
    /// (`1e-05`, `1e+16`) as Swift's `description` does, through `description`.
    @inline(__always)
    mutating func float(_ v: Double) {
        if v.magnitude < 1e16, case let whole = Int(v), Double(whole) == v {
            if whole == 0 && v.sign == .minus { byte(UInt8(ascii: "-")) }
            integer(whole)
            text(".0")
        } else {
            fraction(v)
        }
    }

    /// The part of `float` for values with a fraction, kept out of line so the whole-number path stays small.
    @inline(never)
    private mutating func fraction(_ v: Double) {
        if let decimal = ShortestDecimal(v) { return self.decimal(decimal, negative: v < 0) }
        var text = v.description
        text.withUTF8 { bytes($0) }
    }

    /// `-0.0125`: the sign, the whole part (at least `0`), the point, then `places` digits, leading zeros kept.
    /// Written right to left, four digits at a time while there are four, once the length is known.
    private mutating func decimal(_ decimal: ShortestDecimal, negative: Bool) {
        if negative { byte(UInt8(ascii: "-")) }
        let places = decimal.places
        let end = at + max(ShortestDecimal.decimalLength(decimal.digits), places + 1) + 1
        var back = ByteCursor(end)
        var rest = decimal.digits
        for _ in 0..<(places >> 2) { back.fourBefore(&rest) }
        if places & 2 != 0 { back.pairBefore(&rest) }
        if places & 1 == 1 { back.digitBefore(&rest) }
        back.at -= 1
        back.at.pointee = UInt8(ascii: ".")
        back.digitsBefore(&rest)
        at = end
    }

    /// All of `rest`'s digits (at least one), before the cursor, four at a time, then two.
    @inline(__always)
    private mutating func digitsBefore(_ rest: inout UInt64) {
        while rest >= 10_000 { fourBefore(&rest) }
        while rest >= 100 { pairBefore(&rest) }
        if rest >= 10 { pairBefore(&rest) } else { digitBefore(&rest) }
    }

    /// The last two digits of `rest`, before the cursor, which moves back over them.
    @inline(__always)
    private mutating func pairBefore(_ rest: inout UInt64) {
        let (shorter, last) = rest.quotientAndRemainder(dividingBy: 100)
        at -= 2
        UnsafeMutableRawPointer(at).copyMemory(from: Self.digitPairs.utf8Start + Int(last) &* 2, byteCount: 2)
        rest = shorter
    }

    /// The last four digits of `rest`, before the cursor, from the table of all 10,000: half the divisions of
    /// taking them in pairs (a timer's 16-digit mean took 10% less time to write).
    @inline(__always)
    private mutating func fourBefore(_ rest: inout UInt64) {
        let (shorter, last) = rest.quotientAndRemainder(dividingBy: 10_000)
        at -= 4
        UnsafeMutableRawPointer(at).storeBytes(of: FourDigits.table[Int(last)], as: UInt32.self)
        rest = shorter
    }

    @inline(__always)
    private mutating func digitBefore(_ rest: inout UInt64) {
        let (shorter, last) = rest.quotientAndRemainder(dividingBy: 10)
        at -= 1
        at.pointee = UInt8(ascii: "0") &+ UInt8(last)
        rest = shorter
    }
}

/// A series' timestamps, written as they advance by its step. The digits above the last four are formatted once
/// per 10,000 seconds and kept packed in a word (first digit in the lowest byte); the last four come from a table
/// of all 10,000. So a point's timestamp is two stores, with no division. Times outside 10,000 to 10^12 seconds
/// (1970, or past the year 33,000) are written digit by digit.
struct TimestampDigits {
    private var time: Int
    /// `time`'s last four digits while it is in range; outside 0..<10,000 when they are to be worked out again.
    private var low = 10_000
    private var packedHigh: UInt64 = 0
    private var highLength = 0
    /// `FourDigits.table`, held here: reading the lazily made global once a point cost 0.8 ns of its 4.3.
    private let lastFour = FourDigits.table

    init(_ start: Int) {
        time = start
        settle()
    }

    @inline(__always)
    mutating func advance(by step: Int) {
        time &+= step
        low &+= step
        if UInt(bitPattern: low) >= 10_000 { settle() }
    }

    @inline(__always)
    func write(to cursor: inout ByteCursor) {
        guard UInt(bitPattern: low) < 10_000 else { return cursor.integer(time) }
        cursor.word(packedHigh, count: highLength)
        cursor.four(lastFour[low])
    }

    /// Works out the digits again, with `low` outside 0..<10,000 (where it stays while `time` is out of range).
    /// In range, `low` leaves 0..<10,000 only when the digits above it change, so they are formatted anew.
    private mutating func settle() {
        guard time >= 10_000, time < 1_000_000_000_000 else { return }
        let (high, low) = time.quotientAndRemainder(dividingBy: 10_000)
        self.low = low
        let digits = Array(String(high).utf8)
        packedHigh = FourDigits.packed(digits)
        highLength = digits.count
    }
}

/// 0000 through 9999 as ASCII, four bytes each, the first digit in the lowest byte, as a store writes them in
/// order. Unsafe only in name: it is filled once, when first used, and never written again.
enum FourDigits {
    nonisolated(unsafe) static let table: UnsafePointer<UInt32> = {
        let table = UnsafeMutablePointer<UInt32>.allocate(capacity: 10_000)
        for n in 0..<10_000 { table[n] = UInt32(packed(Array(String(10_000 + n).utf8.dropFirst()))) }
        return UnsafePointer(table)
    }()

    /// Up to eight bytes in a word, the first in the lowest byte, as a store writes them in order.
    static func packed(_ bytes: [UInt8]) -> UInt64 {
        bytes.reversed().reduce(0) { $0 << 8 | UInt64($1) }
    }
}

/// The date of one day of seconds counted as if in UTC, broken down once: CSV's points read their date from it
/// and only their time of day from their seconds, so `gmtime_r` (which takes glibc's time zone lock) runs once
/// a day of points rather than once a point.
struct CalendarDay {
    /// The day's seconds.
    private(set) var seconds = 0..<0
    private(set) var year = 0
    private(set) var month = 0
    private(set) var dayOfMonth = 0

    mutating func move(to wallClock: Int) {
        guard !seconds.contains(wallClock) else { return }
        var time = time_t(wallClock)
        var parts = tm()
        gmtime_r(&time, &parts)
        year = Int(parts.tm_year) + 1900
        month = Int(parts.tm_mon) + 1
        dayOfMonth = Int(parts.tm_mday)
        let start = wallClock - Int(parts.tm_hour) * 3600 - Int(parts.tm_min) * 60 - Int(parts.tm_sec)
        seconds = start..<start + 86_400
    }
}
