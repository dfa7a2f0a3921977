/// `application/x-www-form-urlencoded` and percent decoding.
public enum FormDecoding {
    /// Splits `a=1&b=2` into pairs, decoding `+` and `%XX`; malformed escapes are kept literally.
    /// Split byte by byte: `&` and `=` are ASCII, so every piece starts and ends on a character boundary.
    public static func decode(_ text: some StringProtocol) -> [(String, String)] {
        let text = Substring(text)
        return text.utf8.split(separator: UInt8(ascii: "&")).map { pair in
            if let eq = pair.firstIndex(of: UInt8(ascii: "=")) {
                return (percentDecode(text[pair.startIndex..<eq], plusIsSpace: true),
                        percentDecode(text[text.utf8.index(after: eq)..<pair.endIndex], plusIsSpace: true))
            }
            return (percentDecode(text[pair.startIndex..<pair.endIndex], plusIsSpace: true), "")
        }
    }

    /// Decodes `%XX` escapes (and `+` as space when asked); invalid UTF-8 becomes U+FFFD.
    public static func percentDecode(_ text: some StringProtocol, plusIsSpace: Bool = false) -> String {
        if !text.utf8.contains(where: { $0 == UInt8(ascii: "%") || (plusIsSpace && $0 == UInt8(ascii: "+")) }) {
            return String(text)
        }
        let bytes = Array(text.utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var i = 0
        while i < bytes.count {
            let b = bytes[i]
            if b == UInt8(ascii: "%"), i + 2 < bytes.count,
                let hi = ASCII.hexValue(bytes[i + 1]), let lo = ASCII.hexValue(bytes[i + 2])
            {
                out.append(hi << 4 | lo)
                i += 3
            } else {
                out.append(plusIsSpace && b == UInt8(ascii: "+") ? UInt8(ascii: " ") : b)
                i += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
