import Foundation
import Glibc
import Posix
import Synchronization

/// A parsed HTTP response as a test sees it.
public struct RawResponse: Sendable {
    public let status: Int
    public let headers: [(String, String)]
    public let body: [UInt8]

    public func header(_ name: String) -> String? {
        headers.first { $0.0.lowercased() == name.lowercased() }?.1
    }

    public var text: String { String(decoding: body, as: UTF8.self) }

    /// The body as a JSON object (Foundation's parser, independent of the server's JSON code).
    public var json: [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any] ?? [:]
    }
}

/// A blocking HTTP/1.1 client over one TCP connection, speaking raw bytes so tests control every byte.
public final class RawHTTPClient {
    public let fd: FileDescriptor
    private var buffer: [UInt8] = []

    public init(port: UInt16, timeout: Double = 10) throws {
        fd = try Socket.connect(SocketAddress(host: "127.0.0.1", port: port))
        Socket.setReceiveTimeout(fd, seconds: timeout)
    }

    deinit { fd.close() }

    public func send(_ text: String) { send(Array(text.utf8)) }

    public func send(_ bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { Glibc.send(fd.rawValue, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { return }
            offset += n
        }
    }

    /// Reads one response; nil when the connection closed or timed out first.
    public func readResponse(headRequest: Bool = false) -> RawResponse? {
        while true {
            if let (response, used) = Self.parse(buffer, headRequest: headRequest) {
                buffer.removeFirst(used)
                return response
            }
            guard fill() else { return nil }
        }
    }

    /// True when the server has closed the connection (EOF within the timeout).
    public func isClosedByServer() -> Bool {
        var byte: UInt8 = 0
        return recv(fd.rawValue, &byte, 1, 0) == 0
    }

    private func fill() -> Bool {
        var chunk = [UInt8](repeating: 0, count: 65536)
        let n = recv(fd.rawValue, &chunk, chunk.count, 0)
        guard n > 0 else { return false }
        buffer += chunk[0..<n]
        return true
    }

    /// Sends one request and reads its response.
    public func request(_ method: String, _ path: String, headers: [String: String] = [:], body: [UInt8] = []) -> RawResponse? {
        var head = "\(method) \(path) HTTP/1.1\r\nHost: localhost\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        if !body.isEmpty || method == "POST" || method == "PUT" { head += "Content-Length: \(body.count)\r\n" }
        send(Array((head + "\r\n").utf8) + body)
        return readResponse(headRequest: method == "HEAD")
    }

    static func parse(_ bytes: [UInt8], headRequest: Bool) -> (RawResponse, Int)? {
        let marker: [UInt8] = [13, 10, 13, 10]
        guard bytes.count >= 4, let end = (0...(bytes.count - 4)).first(where: { Array(bytes[$0..<$0 + 4]) == marker }) else { return nil }
        let lines = String(decoding: bytes[0..<end], as: UTF8.self).components(separatedBy: "\r\n")
        let status = Int(lines[0].split(separator: " ")[1]) ?? 0
        let headers = lines.dropFirst().compactMap { line -> (String, String)? in
            guard let colon = line.firstIndex(of: ":") else { return nil }
            return (String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
        }
        let length = headers.first { $0.0.lowercased() == "content-length" }.flatMap { Int($0.1) } ?? 0
        let bodyLength = headRequest || status == 304 || status == 204 || status == 100 ? 0 : length
        guard bytes.count >= end + 4 + bodyLength else { return nil }
        return (RawResponse(status: status, headers: headers, body: Array(bytes[(end + 4)..<(end + 4 + bodyLength)])), end + 4 + bodyLength)
    }
}

/// Runs a command and returns its exit status and standard output.
@discardableResult
public func run(_ executable: String, _ arguments: [String], input: String? = nil) throws -> (Int32, String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    let output = Pipe()
    process.standardOutput = output
    process.standardError = FileHandle.nullDevice
    try process.run()
    let data = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: data, as: UTF8.self))
}

/// Temporary directories made by this test process, removed when it exits.
private let madeDirectories = Mutex<[String]>([])

/// A fresh temporary directory for one test; removed when the test process exits.
public func temporaryDirectory() -> String {
    let path = NSTemporaryDirectory() + "telewall-test-" + UUID().uuidString
    try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    let first = madeDirectories.withLock { made in
        made.append(path)
        return made.count == 1
    }
    if first {
        atexit {
            for path in madeDirectories.withLock({ $0 }) { try? FileManager.default.removeItem(atPath: path) }
        }
    }
    return path
}

/// Polls `condition` until it holds or `seconds` pass; tests wait this way instead of sleeping.
public func eventually(within seconds: Double = 5, _ condition: () -> Bool) -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if condition() { return true }
        usleep(10_000)
    }
    return condition()
}
