import Foundation
import Glibc
import Posix
import Synchronization

/// Serves files under one directory with MIME types and ETags; no request path can leave it.
public final class StaticFiles: Sendable {
    private struct CachedFile: Sendable {
        let size: Int
        let modified: Int
        let etag: String
        /// The headers of its 200 and 304 answers, made once.
        let headers: [Header]
        let body: [UInt8]
        /// When the file was last checked against the disk (monotonic seconds).
        var checkedAt: Double
    }

    /// How long a cached file is served before the disk is asked again whether it changed.
    private static let revalidateAfter = 1.0

    private let root: String
    private let cache = Mutex<[String: CachedFile]>([:])
    private static let maxCachedFileSize = 1 << 20

    /// The policy on every page: scripts, styles and data from this origin only.
    public static let contentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
        + "frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'"

    public init(root: String) {
        self.root = URL(fileURLWithPath: root).standardizedFileURL.resolvingSymlinksInPath().path
    }

    /// The handler for GET and HEAD: `/` is `index.html`, `/account` is `account.html`.
    public func respond(to request: Request) -> Response {
        guard let relative = Self.safeRelativePath(String(request.path)) else {
            return HTTPError.notFound().response
        }
        let hasExtension = relative.utf8.contains(UInt8(ascii: "."))
        let candidates = relative.isEmpty ? ["index.html"] : (hasExtension ? [relative] : [relative + ".html", relative])
        for candidate in candidates {
            if let file = load(candidate) {
                return response(for: file, ifNoneMatch: request.header("If-None-Match"))
            }
        }
        return HTTPError.notFound().response
    }

    /// Percent-decodes and checks a URL path: no `..`, `.`-files, NUL or backslash. Nil when unsafe. Split byte by
    /// byte (`/` is ASCII), and taken as it is when it has no empty segment to drop.
    static func safeRelativePath(_ path: String) -> String? {
        let decoded = Substring(FormDecoding.percentDecode(path))
        guard decoded.utf8.first == UInt8(ascii: "/"), !decoded.utf8.contains(where: { $0 == 0 || $0 == UInt8(ascii: "\\") }) else {
            return nil
        }
        let segments = decoded.utf8.dropFirst().split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false)
        guard segments.allSatisfy({ $0.first != UInt8(ascii: ".") }) else { return nil }
        if !segments.contains(where: \.isEmpty) { return String(decoded.dropFirst()) }
        return segments.filter { !$0.isEmpty }.map { String(Substring($0)) }.joined(separator: "/")
    }

    private func load(_ relative: String) -> CachedFile? {
        let now = monotonicSeconds()
        if let cached = cache.withLock({ $0[relative] }), now - cached.checkedAt < Self.revalidateAfter {
            return cached
        }
        let path = root + "/" + relative
        var info = stat()
        guard lstat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return nil }
        let size = Int(info.st_size)
        let modified = Int(info.st_mtim.tv_sec) * 1_000_000_000 + Int(info.st_mtim.tv_nsec)
        if var cached = cache.withLock({ $0[relative] }), cached.size == size, cached.modified == modified {
            cached.checkedAt = now
            cache.withLock { [cached] in $0[relative] = cached }
            return cached
        }
        guard let data = FileManager.default.contents(atPath: path), data.count == size else { return nil }
        let etag = "\"\(String(size, radix: 16))-\(String(modified, radix: 16))\""
        let file = CachedFile(size: size, modified: modified, etag: etag, headers: Self.headers(for: relative, etag: etag), body: [UInt8](data), checkedAt: now)
        if size <= Self.maxCachedFileSize { cache.withLock { $0[relative] = file } }
        return file
    }

    private static func headers(for name: String, etag: String) -> [Header] {
        var headers = [
            Header("Content-Type", mimeType(of: name)),
            Header("ETag", etag),
            Header("Cache-Control", "no-cache"),
            Header("X-Content-Type-Options", "nosniff"),
        ]
        if name.hasSuffix(".html") {
            headers.append(Header("Content-Security-Policy", contentSecurityPolicy))
            headers.append(Header("Referrer-Policy", "no-referrer"))
        }
        return headers
    }

    private func response(for file: CachedFile, ifNoneMatch: String?) -> Response {
        if let ifNoneMatch, ifNoneMatch.split(separator: ",").contains(where: { $0.trimmingSpaces == file.etag || $0.trimmingSpaces == "*" }) {
            return Response(status: 304, headers: file.headers)
        }
        return Response(status: 200, headers: file.headers, body: file.body)
    }

    static func mimeType(of name: String) -> String {
        switch name.split(separator: ".").last?.lowercased() ?? "" {
        case "html": "text/html; charset=utf-8"
        case "css": "text/css; charset=utf-8"
        case "js", "mjs": "text/javascript; charset=utf-8"
        case "json": "application/json"
        case "svg": "image/svg+xml"
        case "png": "image/png"
        case "ico": "image/x-icon"
        case "txt": "text/plain; charset=utf-8"
        case "woff2": "font/woff2"
        default: "application/octet-stream"
        }
    }
}
