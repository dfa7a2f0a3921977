/// The Whisper v1 file format (graphite-project/whisper), all big-endian:
///
///     metadata      aggregationType u32, maxRetention u32, xFilesFactor f32, archiveCount u32   (16 bytes)
///     archive info  offset u32, secondsPerPoint u32, points u32                                 (12 bytes each)
///     archives      points of timestamp u32 + value f64                                         (12 bytes each)
enum WhisperFormat {
    static let metadataSize = 16
    static let archiveInfoSize = 12
    static let pointSize = 12
    /// More archives than this is taken as corruption, not a schema.
    static let maxArchives = 64
}

/// How points of a finer archive combine into one point of a coarser archive.
public enum AggregationMethod: UInt32, Sendable, CaseIterable, CustomStringConvertible {
    case average = 1, sum, last, max, min, avgZero, absMax, absMin

    /// The names whisper uses (`avg_zero`, `absmax`, ...).
    public var description: String {
        switch self {
        case .average: "average"
        case .sum: "sum"
        case .last: "last"
        case .max: "max"
        case .min: "min"
        case .avgZero: "avg_zero"
        case .absMax: "absmax"
        case .absMin: "absmin"
        }
    }

    public init?(name: String) {
        guard let method = Self.allCases.first(where: { $0.description == name }) else { return nil }
        self = method
    }

    /// whisper's `aggregate`: `known` are the non-null values in order, `all` includes the nulls.
    func aggregate(known: [Double], all: [Double?]) -> Double {
        switch self {
        case .average: return known.reduce(0, +) / Double(known.count)
        case .sum: return known.reduce(0, +)
        case .last: return known[known.count - 1]
        case .max: return Self.pick(known) { $0 > $1 }
        case .min: return Self.pick(known) { $0 < $1 }
        case .avgZero: return all.reduce(0) { $0 + ($1 ?? 0) } / Double(all.count)
        case .absMax: return Self.pick(known) { abs($0) > abs($1) }
        case .absMin: return Self.pick(known) { abs($0) < abs($1) }
        }
    }

    /// Python's `max`/`min`: the first value that no later one beats.
    private static func pick(_ values: [Double], beats: (Double, Double) -> Bool) -> Double {
        var best = values[0]
        for v in values.dropFirst() where beats(v, best) { best = v }
        return best
    }
}

/// One archive: `points` slots of `secondsPerPoint` each, starting at byte `offset`.
public struct ArchiveInfo: Sendable, Equatable {
    public let offset: Int
    public let secondsPerPoint: Int
    public let points: Int

    public var retention: Int { secondsPerPoint * points }
    var size: Int { points * WhisperFormat.pointSize }
    var end: Int { offset + size }
}

/// A file's metadata and archive list.
public struct WhisperHeader: Sendable, Equatable {
    public let aggregation: AggregationMethod
    public let maxRetention: Int
    public let xFilesFactor: Float
    public let archives: [ArchiveInfo]

    var size: Int { WhisperFormat.metadataSize + WhisperFormat.archiveInfoSize * archives.count }
    var fileSize: Int { archives.last.map(\.end) ?? size }

    /// The header of a new file for `retentions` (finest first), laid out as whisper.create does.
    init(retentions: [Retention], aggregation: AggregationMethod, xFilesFactor: Float) {
        var offset = WhisperFormat.metadataSize + WhisperFormat.archiveInfoSize * retentions.count
        var archives: [ArchiveInfo] = []
        for r in retentions {
            archives.append(ArchiveInfo(offset: offset, secondsPerPoint: r.secondsPerPoint, points: r.points))
            offset += r.points * WhisperFormat.pointSize
        }
        self.aggregation = aggregation
        self.maxRetention = retentions.map { $0.secondsPerPoint * $0.points }.max() ?? 0
        self.xFilesFactor = xFilesFactor
        self.archives = archives
    }

    private init(aggregation: AggregationMethod, maxRetention: Int, xFilesFactor: Float, archives: [ArchiveInfo]) {
        self.aggregation = aggregation
        self.maxRetention = maxRetention
        self.xFilesFactor = xFilesFactor
        self.archives = archives
    }

    var encoded: [UInt8] {
        var out = BigEndian.u32(aggregation.rawValue) + BigEndian.u32(UInt32(maxRetention))
        out += BigEndian.u32(xFilesFactor.bitPattern) + BigEndian.u32(UInt32(archives.count))
        for a in archives {
            out += BigEndian.u32(UInt32(a.offset)) + BigEndian.u32(UInt32(a.secondsPerPoint)) + BigEndian.u32(UInt32(a.points))
        }
        return out
    }

    /// Decodes and checks a header; `fileSize` must hold every archive. The error names the problem.
    static func decode(_ bytes: [UInt8], fileSize: Int) throws(WhisperProblem) -> WhisperHeader {
        guard bytes.count >= WhisperFormat.metadataSize else { throw .init("truncated header: \(fileSize) bytes") }
        guard let aggregation = AggregationMethod(rawValue: BigEndian.read32(bytes, 0)) else {
            throw .init("unknown aggregation type \(BigEndian.read32(bytes, 0))")
        }
        let xff = Float(bitPattern: BigEndian.read32(bytes, 8))
        guard xff >= 0 && xff <= 1 else { throw .init("xFilesFactor \(xff) is not between 0 and 1") }
        let count = Int(BigEndian.read32(bytes, 12))
        guard count >= 1 && count <= WhisperFormat.maxArchives else { throw .init("archive count \(count) is not plausible") }
        let needed = WhisperFormat.metadataSize + count * WhisperFormat.archiveInfoSize
        guard bytes.count >= needed else { throw .init("truncated archive list: \(fileSize) bytes, \(needed) needed") }
        var archives: [ArchiveInfo] = []
        var expectedOffset = needed
        for i in 0..<count {
            let base = WhisperFormat.metadataSize + i * WhisperFormat.archiveInfoSize
            let a = ArchiveInfo(offset: Int(BigEndian.read32(bytes, base)), secondsPerPoint: Int(BigEndian.read32(bytes, base + 4)), points: Int(BigEndian.read32(bytes, base + 8)))
            guard a.secondsPerPoint > 0, a.points > 0 else { throw .init("archive \(i) has \(a.points) points of \(a.secondsPerPoint) s") }
            guard a.offset == expectedOffset else { throw .init("archive \(i) starts at byte \(a.offset), expected \(expectedOffset)") }
            expectedOffset = a.end
            archives.append(a)
        }
        guard fileSize >= expectedOffset else { throw .init("truncated: the file has \(fileSize) bytes, its archives need \(expectedOffset)") }
        return WhisperHeader(aggregation: aggregation, maxRetention: Int(BigEndian.read32(bytes, 4)), xFilesFactor: xff, archives: archives)
    }
}

/// What is wrong with a file's contents (the path is added by the caller).
struct WhisperProblem: Error {
    let text: String
    init(_ text: String) { self.text = text }
}

enum BigEndian {
    static func u32(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8(v >> 16 & 0xff), UInt8(v >> 8 & 0xff), UInt8(v & 0xff)] }

    static func read32(_ b: [UInt8], _ i: Int) -> UInt32 {
        UInt32(b[i]) << 24 | UInt32(b[i + 1]) << 16 | UInt32(b[i + 2]) << 8 | UInt32(b[i + 3])
    }

    static func read64(_ b: [UInt8], _ i: Int) -> UInt64 {
        UInt64(read32(b, i)) << 32 | UInt64(read32(b, i + 4))
    }

    /// Appends one point (timestamp, value).
    static func appendPoint(_ out: inout [UInt8], _ interval: Int, _ value: Double) {
        let t = UInt32(truncatingIfNeeded: interval)
        let v = value.bitPattern
        out.append(UInt8(t >> 24)); out.append(UInt8(t >> 16 & 0xff)); out.append(UInt8(t >> 8 & 0xff)); out.append(UInt8(t & 0xff))
        for shift in stride(from: 56, through: 0, by: -8) { out.append(UInt8(v >> UInt64(shift) & 0xff)) }
    }

    /// The point at byte `i`.
    static func point(_ b: [UInt8], _ i: Int) -> (Int, Double) {
        (Int(read32(b, i)), Double(bitPattern: read64(b, i + 4)))
    }
}

/// Python's floor division and modulo, which whisper's offset arithmetic relies on for negative distances.
@inline(__always) func floorDiv(_ a: Int, _ b: Int) -> Int {
    let q = a / b
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
}

@inline(__always) func floorMod(_ a: Int, _ b: Int) -> Int {
    let r = a % b
    return r != 0 && (r < 0) != (b < 0) ? r + b : r
}
