import HTTP
import StatsD

/// `POST /api/v1/ingest` (SPEC 3.4): StatsD lines without the token prefix, for clients where UDP is blocked.
struct IngestRoutes: Sendable {
    let ingest: @Sendable () -> IngestService?

    func register(in router: inout Router) {
        router.add("POST", "/api/v1/ingest", ingestLines)
    }

    private func ingestLines(_ request: Request) throws -> Response {
        guard let token = request.bearerToken else { throw HTTPError.unauthorized("send the ingest token as Authorization: Bearer <token>") }
        guard let service = ingest() else { throw HTTPError(503, code: "unavailable", "ingest is not running") }
        guard let tenant = service.directory.tenant(for: Substring(token)) else {
            throw HTTPError.unauthorized("unknown or revoked ingest token")
        }
        let (accepted, bad) = service.ingest.ingest(httpBody: String(decoding: request.body, as: UTF8.self), tenant: tenant, into: service.httpCollector)
        return .json(["accepted": .number(Double(accepted)), "bad": .number(Double(bad))], status: 202)
    }
}
