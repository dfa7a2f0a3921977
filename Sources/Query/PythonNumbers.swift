import Foundation

/// Python's floor division and modulo (bucket arithmetic goes negative).
func floorDiv(_ a: Int, _ b: Int) -> Int { Int((Double(a) / Double(b)).rounded(.down)) }
func floorMod(_ a: Int, _ b: Int) -> Int { a - floorDiv(a, b) * b }

/// The length of Python's `range(start, bound, step)` for a positive step.
func rangeCount(from start: Int, below bound: Int, by step: Int) -> Int {
    bound <= start ? 0 : (bound - start + step - 1) / step
}

extension StringProtocol {
    /// Python's `<` on strings: by code point, which UTF-8's byte order keeps.
    func precedesAsPython(_ other: some StringProtocol) -> Bool { utf8.lexicographicallyPrecedes(other.utf8) }
}

/// A Python `re.sub` replacement (`\1`, `\g<1>`) as an NSRegularExpression template (`$1`).
func pythonTemplate(_ replace: String) -> String {
    var out = ""
    var chars = Array(replace)[...]
    while let c = chars.popFirst() {
        switch c {
        case "\\":
            if chars.first == "\\" {
                chars.removeFirst()
                out += "\\\\"
            } else if let d = chars.first, d.isNumber {
                out += "$" + String(chars.popFirst()!)
            } else if chars.starts(with: "g<"), let close = chars.firstIndex(of: ">") {
                out += "$" + String(chars[(chars.startIndex + 2)..<close])
                chars = chars[(close + 1)...]
            } else {
                out += "\\\\"
            }
        case "$": out += "\\$"
        default: out.append(c)
        }
    }
    return out
}

/// A number as Python's `int()` takes it, truncated toward zero, and held within ±2^53, far past any list,
/// name or point count, so that converting it cannot trap: `limit(x,1e300)` takes every series.
public func pythonInt(_ n: Double) -> Int {
    Int(min(0x1p53, max(-0x1p53, n)))
}

/// Python's `%g`, with which Graphite puts a function's factor into a name (`scale(x,1e+06)`). C's writes a NaN
/// with its sign bit set as `-nan`; Python writes every NaN as `nan`.
func pythonG(_ value: Double) -> String {
    value.isNaN ? "nan" : String(format: "%g", value)
}

/// Python's `str` of a number as the target wrote it (`constantLine(100)`, `asPercent(x,2.5)`): a whole number
/// as an integer literal, anything else as a float. The parser keeps no difference between `100` and `100.0`.
func pythonLiteral(_ value: Double) -> String {
    if value == value.rounded() && abs(value) < 1e16 { return String(Int64(value)) }
    return value.description
}
