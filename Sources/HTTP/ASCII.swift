/// Byte-level character classes shared by the parsers (URL escapes, chunk sizes, JSON `\u` escapes).
enum ASCII {
    /// The value of one hexadecimal digit, or nil for any other byte (a sign included).
    static func hexValue(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    /// Hexadecimal digits read as a number, or nil when any byte is not one (so no sign, which
    /// `Int(_:radix:)` would take). The caller bounds how many digits it passes.
    static func hexNumber(_ digits: some Collection<UInt8>) -> Int? {
        var value = 0
        for byte in digits {
            guard let digit = hexValue(byte) else { return nil }
            value = value * 16 + Int(digit)
        }
        return value
    }
}
