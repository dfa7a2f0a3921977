import Glibc

/// The receive loop's fast path: parses a plain StatsD line straight from its bytes and records it. It takes only
/// lines it is sure of (a key needing no sanitizing, valid values); anything else returns false and goes to
/// `StatsDLine.parse`, which decides. Both give the same result for the lines the fast path takes.
enum FastLine {
    /// `line` starts after the token's dot. Returns false, recording nothing, when unsure.
    static func record(_ line: UnsafeRawBufferPointer, into bucket: inout Bucket, arrival: Int, scratch: inout [Sample]) -> Bool {
        var end = line.count
        // DogStatsD tags: everything from `|#` on is ignored.
        var i = 0
        while i + 1 < end {
            if line[i] == UInt8(ascii: "|") && line[i + 1] == UInt8(ascii: "#") { end = i; break }
            i += 1
        }
        guard let colon = keyEnd(line, end), colon < end else { return false }
        scratch.removeAll(keepingCapacity: true)
        var start = colon + 1
        while true {
            var next = start
            while next < end && line[next] != UInt8(ascii: ":") { next += 1 }
            guard let sample = sample(line, start, next) else { return false }
            scratch.append(sample)
            if next >= end { break }
            start = next + 1
        }
        let key = String(decoding: UnsafeRawBufferPointer(rebasing: line[0..<colon]), as: UTF8.self)
        for sample in scratch { bucket.record(key, sample, arrival: arrival) }
        return true
    }

    /// The index of the `:` ending a key that is already clean: `[A-Za-z0-9_-]` segments, none empty, at most
    /// 255 bytes and 32 segments. Nil when the key would need the sanitizing path.
    private static func keyEnd(_ line: UnsafeRawBufferPointer, _ end: Int) -> Int? {
        var segments = 1
        var previousDot = true
        var i = 0
        while i < end {
            let b = line[i]
            if b == UInt8(ascii: ":") { break }
            if b == UInt8(ascii: ".") {
                if previousDot { return nil }
                segments += 1
                previousDot = true
            } else if isKeyByte(b) {
                previousDot = false
            } else {
                return nil
            }
            i += 1
        }
        guard i > 0, i < end, !previousDot, i <= MetricKey.maxBytes, segments <= MetricKey.maxSegments else { return nil }
        return i
    }

    @inline(__always) private static func isKeyByte(_ b: UInt8) -> Bool {
        (b >= 97 && b <= 122) || (b >= 65 && b <= 90) || (b >= 48 && b <= 57) || b == UInt8(ascii: "_") || b == UInt8(ascii: "-")
    }

    /// `value|type[|@rate][|...]` between `start` and `end`.
    private static func sample(_ line: UnsafeRawBufferPointer, _ start: Int, _ end: Int) -> Sample? {
        var bar = start
        while bar < end && line[bar] != UInt8(ascii: "|") { bar += 1 }
        guard bar < end else { return nil }
        var typeEnd = bar + 1
        while typeEnd < end && line[typeEnd] != UInt8(ascii: "|") { typeEnd += 1 }
        var rate = 1.0
        if typeEnd < end {
            var rateEnd = typeEnd + 1
            while rateEnd < end && line[rateEnd] != UInt8(ascii: "|") { rateEnd += 1 }
            guard rateEnd - typeEnd > 2, line[typeEnd + 1] == UInt8(ascii: "@"), line[typeEnd + 2] != UInt8(ascii: "-"),
                let r = number(line, typeEnd + 2, rateEnd), r > 0
            else { return nil }
            rate = r
        }
        let typeLength = typeEnd - bar - 1
        let t0 = typeLength > 0 ? line[bar + 1] : 0
        let t1 = typeLength > 1 ? line[bar + 2] : 0
        switch (typeLength, t0, t1) {
        case (1, UInt8(ascii: "c"), _):
            guard let v = bar == start ? 1 : number(line, start, bar) else { return nil }
            return Sample(kind: .counter, value: v, sampleRate: rate, isDelta: false, member: "")
        case (2, UInt8(ascii: "m"), UInt8(ascii: "s")), (1, UInt8(ascii: "h"), _), (1, UInt8(ascii: "d"), _):
            guard let v = number(line, start, bar), v >= 0 else { return nil }
            return Sample(kind: .timer, value: v, sampleRate: rate, isDelta: false, member: "")
        case (1, UInt8(ascii: "g"), _):
            guard let v = number(line, start, bar) else { return nil }
            let first = line[start]
            return Sample(kind: .gauge, value: v, sampleRate: rate, isDelta: first == UInt8(ascii: "+") || first == UInt8(ascii: "-"), member: "")
        default:
            return nil  // sets and everything else: the full parser
        }
    }

    /// The strict decimal grammar of `StrictNumber`, on bytes; plain integers are converted here, others by strtod.
    static func number(_ line: UnsafeRawBufferPointer, _ start: Int, _ end: Int) -> Double? {
        guard end > start, end - start <= 64 else { return nil }
        var i = start
        var negative = false
        if line[i] == UInt8(ascii: "+") || line[i] == UInt8(ascii: "-") {
            negative = line[i] == UInt8(ascii: "-")
            i += 1
        }
        var integer = 0
        var digits = 0
        while i < end, line[i] >= 48, line[i] <= 57 {
            if digits < 15 { integer = integer * 10 + Int(line[i] - 48) }
            digits += 1
            i += 1
        }
        if i == end {
            guard digits > 0 else { return nil }
            if digits <= 15 { return negative ? -Double(integer) : Double(integer) }
        }
        var fractionDigits = 0
        if i < end, line[i] == UInt8(ascii: ".") {
            i += 1
            while i < end, line[i] >= 48, line[i] <= 57 { fractionDigits += 1; i += 1 }
        }
        guard digits + fractionDigits > 0 else { return nil }
        if i < end, line[i] == UInt8(ascii: "e") || line[i] == UInt8(ascii: "E") {
            i += 1
            if i < end, line[i] == UInt8(ascii: "+") || line[i] == UInt8(ascii: "-") { i += 1 }
            var exponentDigits = 0
            while i < end, line[i] >= 48, line[i] <= 57 { exponentDigits += 1; i += 1 }
            guard exponentDigits > 0 else { return nil }
        }
        guard i == end else { return nil }
        return withUnsafeTemporaryAllocation(of: CChar.self, capacity: end - start + 1) { buffer -> Double? in
            for k in start..<end { buffer[k - start] = CChar(bitPattern: line[k]) }
            buffer[end - start] = 0
            let value = strtod(buffer.baseAddress!, nil)
            return value.isFinite ? value : nil
        }
    }
}
