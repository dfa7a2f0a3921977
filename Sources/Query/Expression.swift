/// A Graphite target expression: a path with globs, a function call, or a literal.
public indirect enum TargetExpression: Sendable, Equatable {
    case path(String)
    case call(name: String, arguments: [TargetExpression], keywords: [String: TargetExpression])
    case string(String)
    case number(Double)
    case bool(Bool)
}

/// A bad expression: what is wrong and where (0-based character offset).
public struct ExpressionError: Error, Sendable, Equatable, CustomStringConvertible {
    public let message: String
    public let position: Int
    public var description: String { "\(message) at position \(position)" }
}

/// Parses Graphite's target grammar: `sumSeries(a.b.*, c.{x,y}.[a-z]?)`, nested calls, 'strings', "strings",
/// numbers, booleans and `name=value` keyword arguments.
public struct ExpressionParser {
    private let chars: [Character]
    private var i = 0

    private static let maxLength = 10_000

    public static func parse(_ text: String) throws(ExpressionError) -> TargetExpression {
        if isPlainPath(text) { return .path(text) }
        var parser = ExpressionParser(chars: Array(text))
        guard text.count <= maxLength else { throw ExpressionError(message: "expression longer than \(maxLength) characters", position: 0) }
        let expression = try parser.expression(depth: 0)
        parser.skipSpace()
        guard parser.i == parser.chars.count else { throw parser.error("unexpected '\(parser.chars[parser.i])'") }
        return expression
    }

    /// The expression at the start of `text`, read as Graphite reads a series' name for its first path
    /// (pyparsing without `parseAll`): what follows it is ignored, and a start that is no expression (an
    /// unclosed call, a character this grammar has no use for) is read as a path up to the first `(`, `)`, `,`,
    /// `=`, quote, backslash or space outside braces; nil when that is empty.
    public static func parseLeading(_ text: String) -> TargetExpression? {
        let chars = Array(text.prefix(maxLength))
        var parser = ExpressionParser(chars: chars)
        if let expression = try? parser.expression(depth: 0) { return expression }
        var braces = 0
        let path = chars.prefix { ch in
            switch ch {
            case "{": braces += 1
            case "}": braces -= 1
            case ",": return braces > 0
            case "(", ")", "=", "'", "\"", "\\": return false
            default: return !ch.isWhitespace
            }
            return braces >= 0
        }
        return path.isEmpty ? nil : .path(String(path))
    }

    /// The most common target, a series name or a simple glob (`app.requests.*`), parsed as the grammar would
    /// without taking it apart by `Character`: it starts with a letter and holds only letters, digits and
    /// `. _ - * ?`, and is not a boolean.
    private static func isPlainPath(_ text: String) -> Bool {
        func isLetter(_ b: UInt8) -> Bool { (b | 0x20) >= UInt8(ascii: "a") && (b | 0x20) <= UInt8(ascii: "z") }
        guard let first = text.utf8.first, isLetter(first), text.utf8.count <= maxLength else { return false }
        let plain = text.utf8.allSatisfy { b in
            isLetter(b) || (b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9")) || b == UInt8(ascii: ".") || b == UInt8(ascii: "_")
                || b == UInt8(ascii: "-") || b == UInt8(ascii: "*") || b == UInt8(ascii: "?")
        }
        return plain && !["true", "True", "false", "False"].contains(text)
    }

    private init(chars: [Character]) { self.chars = chars }

    private func error(_ message: String) -> ExpressionError { ExpressionError(message: message, position: i) }

    private mutating func skipSpace() { while i < chars.count, chars[i] == " " || chars[i] == "\t" { i += 1 } }

    private mutating func expression(depth: Int) throws(ExpressionError) -> TargetExpression {
        guard depth < 64 else { throw error("calls nested too deep") }
        skipSpace()
        guard i < chars.count else { throw error("expected a series or a value, found the end") }
        let c = chars[i]
        if c == "'" || c == "\"" { return .string(try quoted(c)) }
        if c.isNumber || ((c == "-" || c == "+" || c == ".") && i + 1 < chars.count && (chars[i + 1].isNumber || chars[i + 1] == ".")) {
            if let number = number() { return .number(number) }
        }
        let start = i
        var braces = 0
        var setEnd = -1
        while i < chars.count {
            let ch = chars[i]
            if i > setEnd, ch == "[" { setEnd = Self.endOfSet(chars, openedAt: i) ?? -1 }
            if i > setEnd, ch == "{" { braces += 1 } else if i > setEnd, ch == "}" { braces -= 1 }
            let inside = braces > 0 || i <= setEnd
            if !inside && (ch == "(" || ch == ")" || ch == "," || ch == " " || ch == "=") { break }
            guard ch.isASCII, ch.isLetter || ch.isNumber || "._-*?{}[]:^$~!@#%".contains(ch) || (inside && ch == ",") else {
                throw error("unexpected '\(ch)'")
            }
            i += 1
        }
        guard braces == 0 else { throw ExpressionError(message: "unclosed '{'", position: start) }
        let word = String(chars[start..<i])
        guard !word.isEmpty else { throw error("expected a series or a value") }
        skipSpace()
        if i < chars.count && chars[i] == "(" {
            guard word.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) else {
                throw ExpressionError(message: "'\(word)' is not a function name", position: start)
            }
            return try call(word, depth: depth)
        }
        if word == "true" || word == "True" { return .bool(true) }
        if word == "false" || word == "False" { return .bool(false) }
        return .path(word)
    }

    /// Where a `[` set closes, as `fnmatch` reads it: a `!` and then a `]` right after the `[` belong to the
    /// set. Nil when it never closes (the `[` is then a plain character).
    private static func endOfSet(_ chars: [Character], openedAt open: Int) -> Int? {
        var j = open + 1
        if j < chars.count, chars[j] == "!" { j += 1 }
        if j < chars.count, chars[j] == "]" { j += 1 }
        while j < chars.count, chars[j] != "]" { j += 1 }
        return j < chars.count ? j : nil
    }

    private mutating func call(_ name: String, depth: Int) throws(ExpressionError) -> TargetExpression {
        i += 1
        var arguments: [TargetExpression] = []
        var keywords: [String: TargetExpression] = [:]
        skipSpace()
        if i < chars.count && chars[i] == ")" {
            i += 1
            return .call(name: name, arguments: [], keywords: [:])
        }
        while true {
            skipSpace()
            let before = i
            let value = try expression(depth: depth + 1)
            skipSpace()
            if i < chars.count && chars[i] == "=", case .path(let key) = value {
                i += 1
                keywords[key] = try expression(depth: depth + 1)
            } else {
                guard keywords.isEmpty else { throw ExpressionError(message: "positional argument after a keyword argument", position: before) }
                arguments.append(value)
            }
            skipSpace()
            guard i < chars.count else { throw error("missing ')' to close \(name)(") }
            if chars[i] == "," { i += 1; continue }
            if chars[i] == ")" { i += 1; break }
            throw error("expected ',' or ')'")
        }
        return .call(name: name, arguments: arguments, keywords: keywords)
    }

    private mutating func quoted(_ quote: Character) throws(ExpressionError) -> String {
        let start = i
        i += 1
        var out = ""
        // Backslashes stay (regular expressions and `\\1` need them); only an escaped quote is unescaped.
        while i < chars.count && chars[i] != quote {
            if chars[i] == "\\" && i + 1 < chars.count && chars[i + 1] == quote { i += 1 }
            out.append(chars[i])
            i += 1
        }
        guard i < chars.count else { throw ExpressionError(message: "unclosed string", position: start) }
        i += 1
        return out
    }

    private mutating func number() -> Double? {
        let start = i
        if chars[i] == "-" || chars[i] == "+" { i += 1 }
        while i < chars.count, chars[i].isNumber || chars[i] == "." || chars[i] == "e" || chars[i] == "E"
            || ((chars[i] == "-" || chars[i] == "+") && (chars[i - 1] == "e" || chars[i - 1] == "E"))
        {
            i += 1
        }
        // A word such as `1min` or `5.lower` is a path, not a number.
        if i < chars.count, chars[i].isLetter || chars[i] == "_" || chars[i] == "*" {
            i = start
            return nil
        }
        guard let value = Double(String(chars[start..<i])), value.isFinite else {
            i = start
            return nil
        }
        return value
    }
}
