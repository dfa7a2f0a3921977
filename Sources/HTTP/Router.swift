/// Where a handler runs: on the event loop (cheap, never blocks), on the worker pool (it may wait: hashing,
/// SQLite writes), or on the compute pool (CPU work of some length, with one thread per core).
public enum HandlerPlacement: Sendable {
    case eventLoop
    case workerPool
    case computePool
}

public typealias Handler = @Sendable (Request) throws -> Response

/// Routes by method and path; `{name}` segments capture a path parameter.
public struct Router: Sendable {
    struct Route: Sendable {
        let method: String
        /// The method and the path as registered (`GET /api/v1/dashboards/{id}`), and where the handler runs.
        let key: RouteKey
        let segments: [Substring]
        let handler: Handler

        /// HEAD is answered by a GET route.
        func accepts(_ method: String) -> Bool {
            self.method == method || (method == "HEAD" && self.method == "GET")
        }
    }

    /// Routes without parameters by their exact path, and the others by their number of segments, so that a
    /// request compares itself with only the routes that could match it.
    private var exactRoutes: [String: [Route]] = [:]
    private var patternRoutes: [Int: [Route]] = [:]
    /// Answers GET and HEAD requests that no route matches (static files); nil means 404.
    public var fallback: Handler?

    public init() {}

    public mutating func add(_ method: String, _ path: String, on placement: HandlerPlacement = .workerPool, _ handler: @escaping Handler) {
        let key = RouteKey(route: method + " " + path, placement: placement)
        let route = Route(method: method, key: key, segments: Router.segments(of: path), handler: handler)
        if path.contains("{") {
            patternRoutes[route.segments.count, default: []].append(route)
        } else {
            exactRoutes[path, default: []].append(route)
        }
    }

    /// What answers a request: the handler, and its route's key (`static` for the fallback, `unmatched` for a
    /// 404 or 405: a fixed set of keys whatever the requests).
    struct Resolution {
        let key: RouteKey
        let handler: Handler
    }

    /// The handler for a request with its path parameters, or the error to answer with. A route of the exact
    /// path is preferred over one with parameters.
    func resolve(_ request: inout Request) -> Resolution {
        var allowed: [String] = []
        for route in exactRoutes[String(request.path)] ?? [] {
            if route.accepts(request.method) { return Resolution(key: route.key, handler: route.handler) }
            allowed.append(route.method)
        }
        let segmentCount = request.path.utf8.count(where: { $0 == UInt8(ascii: "/") })
        if let candidates = patternRoutes[segmentCount] {
            let segments = Router.segments(of: request.path)
            for route in candidates {
                guard let parameters = Router.match(route.segments, segments) else { continue }
                guard route.accepts(request.method) else {
                    allowed.append(route.method)
                    continue
                }
                request.pathParameters = parameters
                return Resolution(key: route.key, handler: route.handler)
            }
        }
        if !allowed.isEmpty {
            let allow = Array(Set(allowed + (allowed.contains("GET") ? ["HEAD"] : []))).sorted().joined(separator: ", ")
            let error = HTTPError(405, code: "method_not_allowed", "\(request.method) is not allowed here", headers: [Header("Allow", allow)])
            return Resolution(key: .unmatched, handler: { _ in error.response })
        }
        if let fallback, request.method == "GET" || request.method == "HEAD" {
            return Resolution(key: .staticFiles, handler: fallback)
        }
        return Resolution(key: .unmatched, handler: { _ in HTTPError.notFound("no such endpoint").response })
    }

    private static func segments(of path: some StringProtocol) -> [Substring] {
        Substring(path).split(separator: "/", omittingEmptySubsequences: false).dropFirst().map { $0 }
    }

    private static func match(_ pattern: [Substring], _ path: [Substring]) -> [String: String]? {
        var parameters: [String: String] = [:]
        for (p, s) in zip(pattern, path) {
            if p.hasPrefix("{") && p.hasSuffix("}") {
                guard !s.isEmpty else { return nil }
                parameters[String(p.dropFirst().dropLast())] = FormDecoding.percentDecode(s)
            } else if p != s {
                return nil
            }
        }
        return parameters
    }
}
