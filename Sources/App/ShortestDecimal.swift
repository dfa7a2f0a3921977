/// The shortest decimal that reads back as a double with a fraction, for magnitudes from 1e-4 up to 1e16, where
/// Python's repr writes a float positionally (`0.25`, `12.7`, `8942.191780821919`): its digits without a
/// `String`, which Swift's `description` costs (about 80 ns a value here; this takes 10 to 25 ns).
///
/// Two ways to the same answer, the quick one first:
/// - Up to six places, in doubles: `Double(c) / 10^p` is the correctly rounded reading of the decimal c / 10^p
///   (both operands are exact doubles), so comparing it with the value decides the round trip exactly; the
///   fewest places that round-trip give the fewest digits. Kept where the products stay below 2^40, so the
///   candidate rounded from `v * 10^p` is the nearest decimal whenever one round-trips. Rates such as `12.7`
///   end here.
/// - Otherwise exactly, in integers: the double is m / 2^shift (m has 53 bits), and the reals that read back as
///   it lie within half a gap of it, 2^-(shift + 1). Scaled by 10^places, the integers in that interval are the
///   decimals with that many places that read back. From 17 significant digits, which always read back,
///   trailing digits are dropped while the interval still holds a decimal one place shorter; among the
///   decimals with the fewest places, the nearest to the double is the one Python writes. Two fine points of
///   reading do not change the answer here, so they are left out: the interval's ends, halfway to the next
///   doubles, need at least 18 digits, so whether they belong to it never matters; and below a power of two
///   the gap is half as wide, but the powers of two this path sees (2^-7 to 2^-13) are short exact decimals,
///   far from any shorter one.
struct ShortestDecimal {
    /// The decimal's digits without its point: 12.7 is 127 with one place.
    let digits: UInt64
    let places: Int

    @inline(__always)
    init?(_ v: Double) {
        let a = v.magnitude
        guard a >= 1e-4, a < 1e16 else { return nil }
        if let few = Self.fewPlaces(a) {
            self = few
            return
        }
        // The biased exponent's bits, not `exponent`, which is a call (8% of a timer mean's point); `a` is normal.
        let shift = 52 - (Int(a.exponentBitPattern) - 1023)
        guard shift > 0 else { return nil }
        // floor(log10(a)) is floor(log2(a) * log10(2)) or one more, so these places give 17 or 18 digits.
        let most = 16 - (((52 - shift) * 1233) >> 12)
        self = Self.fewest(a.significandBitPattern | (1 << 52), shift, most)
    }

    private init(digits: UInt64, places: Int) {
        self.digits = digits
        self.places = places
    }

    private static let scales: [Double] = [1, 10, 100, 1_000, 10_000, 100_000, 1_000_000]
    private static let largestProduct = 0x1p40

    /// The quick way: one to six places, when the products stay below 2^40. First a filter for values that need
    /// more (most quotients): a decimal of six places or fewer that reads back as `a` is within half an ulp of
    /// it, so `a * 1e6` is within 2^-11 of a whole number when it is below 2^40; a value not within 1e-3 of one
    /// has no such decimal.
    @inline(__always)
    private static func fewPlaces(_ a: Double) -> ShortestDecimal? {
        let millionfold = a * 1e6
        if millionfold < largestProduct {
            let off = millionfold - Double(Int(millionfold + 0.5))
            if off > 1e-3 || off < -1e-3 { return nil }
        }
        for places in 1..<scales.count {
            let scale = scales[places]
            let product = a * scale
            guard product < largestProduct else { return nil }
            // Signed: below 2^40 it converts back to a double in one instruction, where an unsigned one takes a
            // detour (7% of a rate's point).
            let candidate = Int64(product + 0.5)
            if Double(candidate) / scale == a { return ShortestDecimal(digits: UInt64(candidate), places: places) }
        }
        return nil
    }

    /// The exact way, from `most` places (enough for 17 significant digits) of m / 2^shift.
    private static func fewest(_ m: UInt64, _ shift: Int, _ most: Int) -> ShortestDecimal {
        let scale = most < 20 ? UInt128(powersOfTen[most]) : UInt128(powersOfTen[19]) &* UInt128(powersOfTen[most - 19])
        let x = UInt128(m) &* scale
        // The interval, times 10^most * 2^(shift + 1) to keep its ends whole: 2x less and plus 10^most.
        let s = shift + 1
        let lowEnd = x &<< 1 &- scale
        var low = lowEnd &>> s
        if low &<< s < lowEnd { low &+= 1 }
        let high = (x &<< 1 &+ scale) &>> s

        // The nearest decimal: x / 2^shift with digits dropped, rounded half to even on the last digit dropped
        // and on whether anything after it (digits, or the binary fraction) was not zero. Before any digit is
        // dropped, the binary fraction stands for that digit: 0, below half (4), half (5) or above (6).
        let fraction = x & ((1 &<< shift) &- 1)
        let half = UInt128(1) &<< (shift - 1)
        var nearest = UInt64(truncatingIfNeeded: x &>> shift)
        var dropped: UInt64 = fraction == 0 ? 0 : fraction < half ? 4 : fraction == half ? 5 : 6
        var sticky = false
        var (first, last, places) = (UInt64(truncatingIfNeeded: low), UInt64(truncatingIfNeeded: high), most)
        while places > 1 {
            let (shorterFirst, shorterLast) = ((first &+ 9) / 10, last / 10)
            guard shorterFirst <= shorterLast else { break }
            (first, last, places) = (shorterFirst, shorterLast, places - 1)
            sticky = sticky || dropped != 0
            (nearest, dropped) = nearest.quotientAndRemainder(dividingBy: 10)
        }
        if dropped > 5 || (dropped == 5 && (sticky || nearest & 1 == 1)) { nearest &+= 1 }
        return ShortestDecimal(digits: nearest, places: places)
    }

    /// 10^0 through 10^19, the powers that fit in 64 bits.
    static let powersOfTen: [UInt64] = [
        1, 10, 100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000, 100_000_000, 1_000_000_000, 10_000_000_000,
        100_000_000_000, 1_000_000_000_000, 10_000_000_000_000, 100_000_000_000_000, 1_000_000_000_000_000,
        10_000_000_000_000_000, 100_000_000_000_000_000, 1_000_000_000_000_000_000, 10_000_000_000_000_000_000,
    ]

    /// How many decimal digits `n` has (1 for 0).
    @inline(__always)
    static func decimalLength(_ n: UInt64) -> Int {
        let guess = ((64 - (n | 1).leadingZeroBitCount) * 1233) >> 12
        return guess + (n >= powersOfTen[guess] ? 1 : 0)
    }
}
