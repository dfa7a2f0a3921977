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
        /// The method and the path as registered (`GET /api/v1/dashboards/{id}`): what `/metrics` times it by.
        let name: String
        let segments: [Substring]
        let placement: HandlerPlacement
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
        let route = Route(method: method, name: method + " " + path, segments: Router.segments(of: path), placement: placement, handler: handler)
        if path.contains("{") {
            patternRoutes[route.segments.count, default: []].append(route)
        } else {
            exactRoutes[path, default: []].append(route)
        }
    }

    /// What answers a request: where the handler runs, the handler, and the route's name (`static` for the
    /// fallback, `unmatched` for a 404 or 405), a fixed set whatever the requests.
    struct Resolution {
        let placement: HandlerPlacement
        let handler: Handler
        let route: String
    }

    /// The handler for a request with its path parameters, or the error to answer with. A route of the exact
    /// path is preferred over one with parameters.
    func resolve(_ request: inout Request) -> Resolution {
        var allowed: [String] = []
        for route in exactRoutes[String(request.path)] ?? [] {
            if route.accepts(request.method) { return Resolution(placement: route.placement, handler: route.handler, route: route.name) }
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
                return Resolution(placement: route.placement, handler: route.handler, route: route.name)
            }
        }
        if !allowed.isEmpty {
            let allow = Array(Set(allowed + (allowed.contains("GET") ? ["HEAD"] : []))).sorted().joined(separator: ", ")
            let error = HTTPError(405, code: "method_not_allowed", "\(request.method) is not allowed here", headers: [Header("Allow", allow)])
            return Resolution(placement: .eventLoop, handler: { _ in error.response }, route: "unmatched")
        }
        if let fallback, request.method == "GET" || request.method == "HEAD" {
            return Resolution(placement: .eventLoop, handler: fallback, route: "static")
        }
        return Resolution(placement: .eventLoop, handler: { _ in HTTPError.notFound("no such endpoint").response }, route: "unmatched")
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
