import Accounts
import Foundation
import HTTP
import Query

/// Dashboards and playlists (SPEC 7): `/api/v1/dashboards`, `/api/v1/playlists`, their share keys, the TV page
/// `/tv/{key}` and its data `/api/v1/tv/{key}/data`.
struct BoardRoutes: Sendable {
    let auth: Authenticator
    let source: SeriesSource
    /// Serves a page from `Public/` under another path.
    let page: @Sendable (Request, String) -> Response
    /// Most points per series a TV may ask for; a graph needs about one per pixel column.
    static let maxPointsPerSeries = 4000

    private var boards: BoardStore { auth.boards }

    func register(in router: inout Router) {
        for kind in [BoardKind.dashboard, .playlist] {
            let base = "/api/v1/\(kind.rawValue)s"
            router.add("GET", base, api { try list(kind, $0) })
            router.add("POST", base, api { try create(kind, $0) })
            router.add("GET", base + "/{id}", api { try show(kind, $0) })
            router.add("PUT", base + "/{id}", api { try update(kind, $0) })
            router.add("DELETE", base + "/{id}", api { try delete(kind, $0) })
            router.add("POST", base + "/{id}/share", api { try share(kind, $0) })
            router.add("DELETE", base + "/{id}/share", api { try unshare(kind, $0) })
        }
        router.add("GET", "/api/v1/dashboards/{id}/data", on: .computePool, api(dashboardData))
        router.add("POST", "/api/v1/dashboards/preview", on: .computePool, api(preview))
        router.add("GET", "/tv/{key}", api(tvPage))
        router.add("GET", "/api/v1/tv/{key}/data", on: .computePool, api(tvData))
    }

    // MARK: - Documents

    private func list(_ kind: BoardKind, _ request: Request) throws -> Response {
        let account = try auth.readerAccount(request)
        let items = try boards.list(kind, tenantID: account.tenantID).map { board -> JSON in
            let document = Self.document(board)
            return [
                "id": .number(Double(board.id)), "title": document["title"] ?? .null, "shared": .bool(board.sharePrefix != nil),
                "updated_at": .string(Timestamp.iso(board.updatedAt)),
            ]
        }
        return .json(["\(kind.rawValue)s": .array(items)])
    }

    private func show(_ kind: BoardKind, _ request: Request) throws -> Response {
        let account = try auth.readerAccount(request)
        return .json(Self.withID(try boards.board(kind, tenantID: account.tenantID, id: try id(request, kind))))
    }

    private func create(_ kind: BoardKind, _ request: Request) throws -> Response {
        let account = try auth.sessionAccount(request)
        let document = try validate(kind, try request.jsonObjectBody(), tenantID: account.tenantID)
        return .json(Self.withID(try boards.create(kind, tenantID: account.tenantID, document: document.text)), status: 201)
    }

    private func update(_ kind: BoardKind, _ request: Request) throws -> Response {
        let account = try auth.sessionAccount(request)
        let id = try id(request, kind)
        let document = try validate(kind, try request.jsonObjectBody(), tenantID: account.tenantID)
        try boards.update(kind, tenantID: account.tenantID, id: id, document: document.text)
        auth.forgetShares()
        return .json(Self.withID(try boards.board(kind, tenantID: account.tenantID, id: id)))
    }

    private func delete(_ kind: BoardKind, _ request: Request) throws -> Response {
        let account = try auth.sessionAccount(request)
        try boards.delete(kind, tenantID: account.tenantID, id: try id(request, kind))
        auth.forgetShares()
        return .noContent()
    }

    private func share(_ kind: BoardKind, _ request: Request) throws -> Response {
        let account = try auth.sessionAccount(request)
        let key = try boards.share(kind, tenantID: account.tenantID, id: try id(request, kind))
        auth.forgetShares()
        return .json(["key": .string(key), "url": .string("/tv/\(key)")], status: 201)
    }

    private func unshare(_ kind: BoardKind, _ request: Request) throws -> Response {
        let account = try auth.sessionAccount(request)
        try boards.unshare(kind, tenantID: account.tenantID, id: try id(request, kind))
        auth.forgetShares()
        return .noContent()
    }

    private func validate(_ kind: BoardKind, _ body: JSON, tenantID: String) throws -> JSON {
        switch kind {
        case .dashboard: return try BoardDocument.dashboard(body)
        case .playlist:
            let own = Set(try boards.list(.dashboard, tenantID: tenantID).map(\.id))
            return try BoardDocument.playlist(body) { own.contains($0) }
        }
    }

    // MARK: - TV

    /// The TV page for a live share key; a revoked or unknown key is a 404 page that says so.
    private func tvPage(_ request: Request) throws -> Response {
        guard try auth.share(key: request.pathParameters["key"] ?? "") != nil else {
            var gone = page(request, "/tv-gone.html")
            gone.status = 404
            return gone
        }
        return page(request, "/tv.html")
    }

    /// Everything a TV shows in one answer: the dashboard and the series of all its widgets. For a playlist,
    /// `index` picks the dashboard (modulo the playlist's length).
    private func tvData(_ request: Request) throws -> Response {
        guard let share = try auth.share(key: request.pathParameters["key"] ?? "") else {
            throw HTTPError.notFound("this TV link is not shared (any more)")
        }
        let dashboards = share.dashboards
        guard !dashboards.isEmpty else { throw HTTPError.notFound("this playlist has no dashboards left") }
        guard share.board.kind == .playlist else { return try data(for: Self.withID(dashboards[0]), tenantID: share.board.tenantID, request) }
        let index = Int((Int(request.query("index") ?? "0") ?? 0).magnitude % UInt(dashboards.count))
        let playlist = Self.document(share.board)
        let info: JSON = [
            "title": playlist["title"] ?? .null, "dwell": playlist["dwell"] ?? .number(30), "count": .number(Double(dashboards.count)),
            "index": .number(Double(index)),
        ]
        return try data(for: Self.withID(dashboards[index]), tenantID: share.board.tenantID, request, playlist: info)
    }

    private func dashboardData(_ request: Request) throws -> Response {
        let account = try auth.readerAccount(request)
        let board = try boards.board(.dashboard, tenantID: account.tenantID, id: try id(request, .dashboard))
        return try data(for: Self.withID(board), tenantID: account.tenantID, request)
    }

    /// The editor's live preview of a document not yet saved.
    private func preview(_ request: Request) throws -> Response {
        let account = try auth.sessionAccount(request)
        return try data(for: try BoardDocument.dashboard(try request.jsonObjectBody()), tenantID: account.tenantID, request)
    }

    /// `{"dashboard", "now", "series", "status", "alerts", "events"[, "playlist"]}`: `series` maps each target to
    /// `{"series": [{"name", "start", "step", "values"}]}` or `{"error"}` (a bad target fails alone); status, alerts
    /// and events are empty until those exist. `points` (about the widest graph's width in pixels) caps the
    /// points per series, consolidated as `maxDataPoints` does. Written straight into bytes: this is the TV's hot path.
    private func data(for dashboard: JSON, tenantID: String, _ request: Request, playlist: JSON? = nil) throws -> Response {
        let now = Int(Date().timeIntervalSince1970)
        let window = try TimeWindow(from: dashboard["from"]?.stringValue ?? "-1h", until: dashboard["until"]?.stringValue ?? "now", clock: now,
                                    timeZone: BoardDocument.timeZone(dashboard["tz"]))
        let points = min(Self.maxPointsPerSeries, max(1, Int(request.query("points") ?? "") ?? 1000))
        var context = try source.context(tenantID: tenantID, window: window)
        var out = ByteWriter(capacity: 64 * 1024)
        out.append(#"{"dashboard":"#)
        out.append(bytes: dashboard.bytes)
        if let playlist {
            out.append(#","playlist":"#)
            out.append(bytes: playlist.bytes)
        }
        out.append(#","now":"#)
        out.appendInteger(now)
        out.append(#","status":[],"alerts":[],"events":[],"series":{"#)
        var seen = Set<String>()
        for target in BoardDocument.targets(of: dashboard) where seen.insert(target).inserted {
            if seen.count > 1 { out.append(",") }
            out.appendJSONString(target)
            do {
                let list = SeriesSource.consolidate(try SeriesSource.evaluate(target, in: &context), maxDataPoints: points)
                out.append(#":{"series":["#)
                for (n, series) in list.enumerated() {
                    if n > 0 { out.append(",") }
                    RenderFormat.compact(series, to: &out)
                }
                out.append("]}")
            } catch {
                out.append(#":{"error":"#)
                out.appendJSONString(error.message)
                out.append("}")
            }
        }
        out.append("}}")
        return .json(body: out.finish())
    }

    // MARK: - Helpers

    private static func document(_ board: Board) -> JSON { JSON.parse(Array(board.document.utf8)) ?? [:] }

    /// The stored document with its `id` and whether it is shared.
    private static func withID(_ board: Board) -> JSON {
        guard case .object(var fields) = document(board) else { return .null }
        fields["id"] = .number(Double(board.id))
        fields["shared"] = .bool(board.sharePrefix != nil)
        return .object(fields)
    }

    private func id(_ request: Request, _ kind: BoardKind) throws -> Int64 {
        guard let id = request.pathParameters["id"].flatMap({ Int64($0) }) else { throw HTTPError.notFound("\(kind.rawValue) not found") }
        return id
    }
}
