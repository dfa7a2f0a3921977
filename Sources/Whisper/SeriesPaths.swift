/// Where a tenant's series live: `<root>/<tenant-id>/<a>/<b>/<c>.wsp` for the series `a.b.c`.
/// Every path is built from validated parts only, so no name can reach outside its tenant's directory.
public struct SeriesPaths: Sendable {
    public let root: String
    /// Room for a 255-byte StatsD key under `stats.timers.` with a suffix such as `.sum_squares_90`.
    public static let maxNameBytes = 300
    public static let maxSegments = 40

    public init(root: String) { self.root = root }

    public func tenantDirectory(_ tenant: String) throws(WhisperError) -> String {
        guard !tenant.isEmpty, tenant.utf8.count <= 64, tenant.utf8.allSatisfy({ Self.isLowerAlphanumeric($0) }) else {
            throw .invalidName("tenant id '\(tenant.prefix(70))' is not [a-z0-9]{1,64}")
        }
        return root + "/" + tenant
    }

    /// The file of `series` for `tenant`, or `.invalidName` saying why the name cannot be a series.
    public func path(tenant: String, series: String) throws(WhisperError) -> String {
        try Self.validate(series)
        return try tenantDirectory(tenant) + "/" + series.split(separator: ".").joined(separator: "/") + ".wsp"
    }

    /// The path of a tenant and series already validated (the write path validates once, when points arrive).
    func validatedPath(tenant: String, series: String) -> String {
        var path = root
        path.reserveCapacity(root.utf8.count + tenant.utf8.count + series.utf8.count + 6)
        path += "/"
        path += tenant
        path += "/"
        for c in series.utf8 { path.unicodeScalars.append(Unicode.Scalar(c == UInt8(ascii: ".") ? UInt8(ascii: "/") : c)) }
        path += ".wsp"
        return path
    }

    /// Series names are dot-separated segments of `[A-Za-z0-9_-]`: at most 255 bytes and 32 segments.
    public static func validate(_ series: String) throws(WhisperError) {
        let bytes = series.utf8
        guard !bytes.isEmpty, bytes.count <= maxNameBytes else { throw .invalidName("a series name is 1 to \(maxNameBytes) bytes") }
        var segments = 1
        var previous: UInt8 = UInt8(ascii: ".")
        for b in bytes {
            if b == UInt8(ascii: ".") {
                guard previous != UInt8(ascii: ".") else { throw .invalidName("series name '\(series)' has an empty segment") }
                segments += 1
            } else if !(isLowerAlphanumeric(b) || (b >= 65 && b <= 90) || b == UInt8(ascii: "_") || b == UInt8(ascii: "-")) {
                throw .invalidName("series name '\(series.prefix(64))' has a character outside [A-Za-z0-9_.-]")
            }
            previous = b
        }
        guard previous != UInt8(ascii: ".") else { throw .invalidName("series name '\(series)' has an empty segment") }
        guard segments <= maxSegments else { throw .invalidName("a series name has at most \(maxSegments) segments") }
    }

    private static func isLowerAlphanumeric(_ b: UInt8) -> Bool {
        (b >= 97 && b <= 122) || (b >= 48 && b <= 57)
    }
}
