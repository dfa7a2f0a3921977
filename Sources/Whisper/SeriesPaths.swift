/// Where a tenant's series live: `<root>/<tenant-id>/<a>/<b>/<c>.wsp` for the series `a.b.c`.
/// Every path is built from validated parts only, so no name can reach outside its tenant's directory.
public struct SeriesPaths: Sendable {
    public let root: String
    /// Room for a 255-byte StatsD key under `stats.timers.` with a suffix such as `.sum_squares_90`.
    public static let maxNameBytes = 300
    public static let maxSegments = 40

    public init(root: String) { self.root = root }

    public func tenantDirectory(_ tenant: String) throws(WhisperError) -> String {
        try Self.validate(tenant: tenant)
        return root + "/" + tenant
    }

    /// The file of `series` for `tenant`, or `.invalidName` saying why the name cannot be a series.
    public func path(tenant: String, series: String) throws(WhisperError) -> String {
        try Self.validate(series)
        try Self.validate(tenant: tenant)
        return validatedPath(tenant: tenant, series: series)
    }

    static func validate(tenant: String) throws(WhisperError) {
        guard !tenant.isEmpty, tenant.utf8.count <= 64, tenant.utf8.allSatisfy({ isLowerAlphanumeric($0) }) else {
            throw .invalidName("tenant id '\(tenant.prefix(70))' is not [a-z0-9]{1,64}")
        }
    }

    /// The path of a tenant and series already validated (the write path validates once, when points arrive).
    func validatedPath(tenant: String, series: String) -> String {
        let length = root.utf8.count + tenant.utf8.count + series.utf8.count + 6
        return String(unsafeUninitializedCapacity: length) { buffer in
            var i = 0
            func put(_ byte: UInt8) {
                buffer[i] = byte
                i += 1
            }
            for b in root.utf8 { put(b) }
            put(UInt8(ascii: "/"))
            for b in tenant.utf8 { put(b) }
            put(UInt8(ascii: "/"))
            for b in series.utf8 { put(b == UInt8(ascii: ".") ? UInt8(ascii: "/") : b) }
            for b in ".wsp".utf8 { put(b) }
            return i
        }
    }

    /// Series names are dot-separated segments of `[A-Za-z0-9_-]`: at most 255 bytes and 32 segments.
    public static func validate(_ series: String) throws(WhisperError) {
        var name = series
        let problem = name.withUTF8(problem)
        guard let problem else { return }
        switch problem {
        case .length: throw .invalidName("a series name is 1 to \(maxNameBytes) bytes")
        case .emptySegment: throw .invalidName("series name '\(series.prefix(64))' has an empty segment")
        case .character: throw .invalidName("series name '\(series.prefix(64))' has a character outside [A-Za-z0-9_.-]")
        case .segments: throw .invalidName("a series name has at most \(maxSegments) segments")
        }
    }

    private enum Problem {
        case length, emptySegment, character, segments
    }

    /// What is wrong with a name's bytes, if anything (one pass over contiguous UTF-8).
    private static func problem(_ bytes: UnsafeBufferPointer<UInt8>) -> Problem? {
        guard !bytes.isEmpty, bytes.count <= maxNameBytes else { return .length }
        var segments = 1
        var previous: UInt8 = UInt8(ascii: ".")
        for b in bytes {
            if b == UInt8(ascii: ".") {
                guard previous != UInt8(ascii: ".") else { return .emptySegment }
                segments += 1
            } else if !isNameByte(b) {
                return .character
            }
            previous = b
        }
        guard previous != UInt8(ascii: ".") else { return .emptySegment }
        return segments <= maxSegments ? nil : .segments
    }

    /// Whether `name` can be one segment of a series name (a directory or a file's stem in a tenant's tree):
    /// a name of other characters is no series Telewall reads, so the tree does not list it.
    public static func isSegment(_ name: some StringProtocol) -> Bool {
        !name.isEmpty && name.utf8.allSatisfy(isNameByte)
    }

    private static func isNameByte(_ b: UInt8) -> Bool {
        isLowerAlphanumeric(b) || (b >= 65 && b <= 90) || b == UInt8(ascii: "_") || b == UInt8(ascii: "-")
    }

    private static func isLowerAlphanumeric(_ b: UInt8) -> Bool {
        (b >= 97 && b <= 122) || (b >= 48 && b <= 57)
    }
}
