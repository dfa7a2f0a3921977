import Glibc
import HTTP

/// A growable byte buffer written through a pointer: the render JSON's hot loop appends without Array's
/// per-append uniqueness and capacity checks.
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

    @inline(__always)
    private mutating func reserve(_ extra: Int) {
        if count + extra > capacity { grow(extra) }
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
        reserve(1)
        storage[count] = byte
        count += 1
    }

    mutating func append(bytes: [UInt8]) {
        reserve(bytes.count)
        bytes.withUnsafeBufferPointer { if let base = $0.baseAddress { (storage + count).update(from: base, count: $0.count) } }
        count += bytes.count
    }

    /// `[value,timestamp]`, after a comma unless it is the first: room for the longest point is made once.
    @inline(__always)
    mutating func appendPoint(_ value: Double?, _ time: Int, first: Bool, _ prefix: inout TimestampPrefix) {
        reserve(Self.longestPoint)
        if !first { writeByte(UInt8(ascii: ",")) }
        writeByte(UInt8(ascii: "["))
        if let value, value.isFinite { writeFloat(value) } else { write("null") }
        writeByte(UInt8(ascii: ","))
        writeTimestamp(time, &prefix)
        writeByte(UInt8(ascii: "]"))
    }

    /// `,[` + a float (at most 24 characters as Python writes one) + `,` + a timestamp (at most 20) + `]`.
    private static let longestPoint = 64

    /// A timestamp: the digits above its last four are formatted once per 10,000 seconds and kept in `prefix`,
    /// the last four come from the digit-pair table. Consecutive timestamps of a series cost one division.
    /// Room for 20 bytes must have been reserved.
    @inline(__always)
    private mutating func writeTimestamp(_ t: Int, _ prefix: inout TimestampPrefix) {
        guard t >= 10_000, t < 1_000_000_000_000 else { return writeInteger(t) }
        let high = t / 10_000
        let low = t - high * 10_000
        if high != prefix.high { prefix = TimestampPrefix(high) }
        UnsafeMutableRawPointer(storage + count).storeBytes(of: prefix.packed, as: UInt64.self)
        count += prefix.length
        writePair(low / 100)
        writePair(low % 100)
    }

    /// `YYYY-MM-DD HH:MM:SS` in UTC, as Graphite's CSV writes a point's time.
    mutating func appendUTCDateTime(_ t: Int) {
        var time = time_t(t)
        var parts = tm()
        gmtime_r(&time, &parts)
        reserve(40)
        writeInteger(Int(parts.tm_year) + 1900)
        writeField(UInt8(ascii: "-"), parts.tm_mon + 1)
        writeField(UInt8(ascii: "-"), parts.tm_mday)
        writeField(UInt8(ascii: " "), parts.tm_hour)
        writeField(UInt8(ascii: ":"), parts.tm_min)
        writeField(UInt8(ascii: ":"), parts.tm_sec)
    }

    private mutating func writeField(_ separator: UInt8, _ value: Int32) {
        writeByte(separator)
        writePair(Int(value))
    }

    /// Two decimal digits of `n` (0...99) from the digit-pair table. Room must have been reserved.
    @inline(__always)
    private mutating func writePair(_ n: Int) {
        let pairs = Self.digitPairs.utf8Start
        storage[count] = pairs[n * 2]
        storage[count + 1] = pairs[n * 2 + 1]
        count += 2
    }

    /// A JSON string: copied as it is when nothing in it needs escaping (the common case for metric names).
    mutating func appendJSONString(_ text: String) {
        var text = text
        let plain = text.withUTF8 { bytes in
            guard !bytes.contains(where: JSON.needsEscaping) else { return false }
            reserve(bytes.count + 2)
            storage[count] = UInt8(ascii: "\"")
            (storage + count + 1).update(from: bytes.baseAddress!, count: bytes.count)
            storage[count + 1 + bytes.count] = UInt8(ascii: "\"")
            count += bytes.count + 2
            return true
        }
        if !plain { append(bytes: JSON.string(text).bytes) }
    }

    @inline(__always)
    mutating func append(_ text: StaticString) {
        reserve(text.utf8CodeUnitCount)
        (storage + count).update(from: text.utf8Start, count: text.utf8CodeUnitCount)
        count += text.utf8CodeUnitCount
    }

    private static let digitPairs: StaticString = "00010203040506070809101112131415161718192021222324252627282930313233343536373839404142434445464748495051525354555657585960616263646566676869707172737475767778798081828384858687888990919293949596979899"

    @inline(__always)
    private mutating func writeByte(_ byte: UInt8) {
        storage[count] = byte
        count += 1
    }

    @inline(__always)
    private mutating func write(_ text: StaticString) {
        (storage + count).update(from: text.utf8Start, count: text.utf8CodeUnitCount)
        count += text.utf8CodeUnitCount
    }

    @inline(__always)
    mutating func appendInteger(_ n: Int) {
        reserve(21)
        writeInteger(n)
    }

    /// Decimal digits written right to left, two at a time. Room for 20 bytes must have been reserved.
    @inline(__always)
    private mutating func writeInteger(_ n: Int) {
        if n < 0 {
            storage[count] = UInt8(ascii: "-")
            count += 1
        }
        var magnitude = n.magnitude
        var digits = 1
        var power: UInt = 10
        while digits < 20 && magnitude >= power {
            digits += 1
            power &*= 10
        }
        count += digits
        var at = count
        let pairs = Self.digitPairs.utf8Start
        while magnitude >= 100 {
            let pair = Int(magnitude % 100) * 2
            magnitude /= 100
            at -= 2
            storage[at] = pairs[pair]
            storage[at + 1] = pairs[pair + 1]
        }
        if magnitude >= 10 {
            let pair = Int(magnitude) * 2
            storage[at - 2] = pairs[pair]
            storage[at - 1] = pairs[pair + 1]
        } else {
            storage[at - 1] = UInt8(ascii: "0") + UInt8(magnitude)
        }
    }

    mutating func appendFloat(_ v: Double) {
        reserve(32)
        writeFloat(v)
    }

    /// Python's repr of a float: whole numbers below 1e16 as `3.0`, other values from 1e-4 to 1e16 as their
    /// shortest decimal (`ShortestDecimal`), digit by digit; the rest, which Python writes with an exponent
    /// (`1e-05`, `1e+16`) as Swift's `description` does, through `description`. Room for 32 bytes must have
    /// been reserved.
    @inline(__always)
    private mutating func writeFloat(_ v: Double) {
        if abs(v) < 1e16, let whole = Int(exactly: v) {
            if v == 0 && v.sign == .minus { writeByte(UInt8(ascii: "-")) }
            writeInteger(whole)
            write(".0")
        } else {
            writeFraction(v)
        }
    }

    /// The part of `writeFloat` for values with a fraction, kept out of line so the whole-number path stays small.
    @inline(never)
    private mutating func writeFraction(_ v: Double) {
        if let decimal = ShortestDecimal(v) { return writeDecimal(decimal, negative: v < 0) }
        var text = v.description
        text.withUTF8 { bytes in
            (storage + count).update(from: bytes.baseAddress!, count: bytes.count)
            count += bytes.count
        }
    }

    /// `-0.0125`: the sign, the whole part (at least `0`), the point, then `places` digits, leading zeros kept.
    /// Written right to left, two digits at a time, once the length is known.
    private mutating func writeDecimal(_ decimal: ShortestDecimal, negative: Bool) {
        if negative { writeByte(UInt8(ascii: "-")) }
        let places = decimal.places
        let end = count + max(ShortestDecimal.decimalLength(decimal.digits), places + 1) + 1
        var at = end
        var rest = decimal.digits
        let pairs = Self.digitPairs.utf8Start
        func writePairBefore() {
            let pair = Int(rest % 100) * 2
            rest /= 100
            at -= 2
            storage[at] = pairs[pair]
            storage[at + 1] = pairs[pair + 1]
        }
        func writeDigitBefore() {
            at -= 1
            storage[at] = UInt8(ascii: "0") + UInt8(rest % 10)
            rest /= 10
        }
        for _ in 0..<(places >> 1) { writePairBefore() }
        if places & 1 == 1 { writeDigitBefore() }
        at -= 1
        storage[at] = UInt8(ascii: ".")
        while rest >= 100 { writePairBefore() }
        if rest >= 10 { writePairBefore() } else { writeDigitBefore() }
        count = end
    }
}

/// The digits of a timestamp above its last four (at most eight), as ASCII packed into a word, first digit in
/// the lowest byte, so that writing them is one store.
struct TimestampPrefix {
    private(set) var high = -1
    private(set) var packed: UInt64 = 0
    private(set) var length = 0

    init() {}

    init(_ high: Int) {
        self.high = high
        var digits: [UInt8] = []
        var rest = high
        repeat {
            digits.append(UInt8(rest % 10) | 0x30)
            rest /= 10
        } while rest > 0
        for (n, digit) in digits.reversed().enumerated() { packed |= UInt64(digit) << (8 * UInt64(n)) }
        length = digits.count
    }
}
