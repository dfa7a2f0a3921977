/// An HTTP response; the server adds `Date`, `Content-Length` and `Connection`.
public struct Response: Sendable {
    public var status: Int
    public var headers: [Header]
    public var body: ResponseBody

    public init(status: Int = 200, headers: [Header] = [], body: [UInt8] = []) {
        self.init(status: status, headers: headers, body: .bytes(body))
    }

    public init(status: Int = 200, headers: [Header] = [], body: ResponseBody) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// A JSON response with `nosniff`, as every API answer carries.
    public static func json(_ value: JSON, status: Int = 200) -> Response {
        json(bytes: value.bytes, status: status)
    }

    /// A JSON response whose body is already encoded.
    public static func json(bytes: [UInt8], status: Int = 200) -> Response {
        json(body: .bytes(bytes), status: status)
    }

    public static func json(body: ResponseBody, status: Int = 200) -> Response {
        Response(
            status: status,
            headers: [Header("Content-Type", "application/json"), Header("X-Content-Type-Options", "nosniff")],
            body: body)
    }

    public static func text(_ text: String, status: Int = 200, contentType: String = "text/plain; charset=utf-8") -> Response {
        Response(status: status, headers: [Header("Content-Type", contentType)], body: Array(text.utf8))
    }

    public static func noContent() -> Response { Response(status: 204) }

    public func header(_ name: String) -> String? {
        headers.first { $0.name.caseInsensitiveEquals(name) }?.value
    }

    /// The bytes on the wire: the head, and the body (empty when it is not sent). `omitBody` is for HEAD and
    /// 304, which keep their headers only.
    func serialized(date: String, keepAlive: Bool, omitBody: Bool) -> (head: [UInt8], body: ResponseBody?) {
        var out: [UInt8] = []
        out.reserveCapacity(256)
        func add(_ text: String) { out.append(contentsOf: text.utf8) }
        func endLine() {
            out.append(13)
            out.append(10)
        }
        add("HTTP/1.1 \(status) ")
        add(StatusLine.reason(status))
        endLine()
        add("Date: ")
        add(date)
        add("\r\nServer: telewall\r\n")
        for header in headers where !header.name.caseInsensitiveEquals("Content-Length") {
            add(header.name)
            add(": ")
            add(header.value)
            endLine()
        }
        if status >= 200 && status != 204 && status != 304 { add("Content-Length: \(body.count)\r\n") }
        if !keepAlive { add("Connection: close\r\n") }
        endLine()
        let sendsBody = !omitBody && status != 304 && status != 204
        return (out, sendsBody ? body : nil)
    }
}
