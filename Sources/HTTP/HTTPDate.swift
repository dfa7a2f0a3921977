import Glibc
import Synchronization

/// The IMF-fixdate for `Date` headers, formatted at most once per second per event loop (and once for all the
/// worker pools' threads, in `shared`).
struct HTTPDateCache {
    static let shared = Mutex(HTTPDateCache())

    private var second = 0
    private var text = ""

    mutating func current() -> String {
        var now = time(nil)
        if now != second || text.isEmpty {
            second = now
            var parts = tm()
            gmtime_r(&now, &parts)
            var buffer = [CChar](repeating: 0, count: 64)
            strftime(&buffer, buffer.count, "%a, %d %b %Y %H:%M:%S GMT", &parts)
            text = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
        return text
    }
}
