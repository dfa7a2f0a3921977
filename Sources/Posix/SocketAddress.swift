import CLinux
import Glibc

/// An IPv4 or IPv6 address and port, parsed from `HOST:PORT` or `[V6]:PORT`.
public struct SocketAddress: Sendable, CustomStringConvertible, Hashable {
    public let host: String
    public let port: UInt16

    public init(host: String, port: UInt16) {
        self.host = host
        self.port = port
    }

    /// Parses `HOST:PORT`, `[::1]:PORT` or `:PORT` (which listens on 127.0.0.1).
    public init?(parsing text: String) {
        guard let colon = text.lastIndex(of: ":"), let port = UInt16(text[text.index(after: colon)...]) else {
            return nil
        }
        var host = String(text[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        self.init(host: host.isEmpty ? "127.0.0.1" : host, port: port)
    }

    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }

    var isIPv6: Bool { host.contains(":") }

    /// Calls `body` with this address as a `sockaddr`.
    func withSockAddr<R>(_ body: (UnsafePointer<sockaddr>, socklen_t) throws(SystemError) -> R) throws(SystemError) -> R {
        if isIPv6 {
            var addr = sockaddr_in6()
            addr.sin6_family = sa_family_t(AF_INET6)
            addr.sin6_port = port.bigEndian
            guard inet_pton(AF_INET6, host, &addr.sin6_addr) == 1 else {
                throw SystemError(call: "inet_pton(\(host))", errno: EINVAL)
            }
            return try withUnsafePointer(to: &addr) { ptr throws(SystemError) in
                try ptr.withMemoryRebound(to: sockaddr.self, capacity: 1) { p throws(SystemError) in
                    try body(p, socklen_t(MemoryLayout<sockaddr_in6>.size))
                }
            }
        }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = port.bigEndian
        let name = host == "localhost" ? "127.0.0.1" : host
        guard inet_pton(AF_INET, name, &addr.sin_addr) == 1 else {
            throw SystemError(call: "inet_pton(\(host))", errno: EINVAL)
        }
        return try withUnsafePointer(to: &addr) { ptr throws(SystemError) in
            try ptr.withMemoryRebound(to: sockaddr.self, capacity: 1) { p throws(SystemError) in
                try body(p, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
    }

    /// Reads an address back from kernel storage.
    init(storage: sockaddr_storage) {
        var storage = storage
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN) + 1)
        if storage.ss_family == sa_family_t(AF_INET6) {
            let (host, port) = withUnsafePointer(to: &storage) { ptr in
                ptr.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { p in
                    var a = p.pointee.sin6_addr
                    inet_ntop(AF_INET6, &a, &buffer, socklen_t(buffer.count))
                    return (String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self), UInt16(bigEndian: p.pointee.sin6_port))
                }
            }
            self.init(host: host, port: port)
        } else {
            let (host, port) = withUnsafePointer(to: &storage) { ptr in
                ptr.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { p in
                    var a = p.pointee.sin_addr
                    inet_ntop(AF_INET, &a, &buffer, socklen_t(buffer.count))
                    return (String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self), UInt16(bigEndian: p.pointee.sin_port))
                }
            }
            self.init(host: host, port: port)
        }
    }
}
