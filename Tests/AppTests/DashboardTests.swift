import Foundation
import Testing
import TestSupport
import Whisper

@testable import App

@Suite struct DashboardTests {
    static let example = """
        {"title": "Checkout", "refresh": 10, "from": "-1h", "owner": "team-a",
         "widgets": [
           {"type": "graph",  "title": "Requests", "targets": ["app.web1.requests", "sumSeries(app.*.requests)"], "unit": "/s"},
           {"type": "number", "title": "Web 2", "target": "app.web2.requests", "unit": "", "thresholds": {"warning": 10, "critical": 20}},
           {"type": "status", "title": "Database", "component": "db.primary"},
           {"type": "alerts", "title": "Alerts"},
           {"type": "text",   "title": "Note", "text": "Deploy freeze until Monday", "position": {"x": 0, "y": 3, "w": 6, "h": 1}},
           {"type": "clock"}]}
        """

    /// Tenant A with two series written at known times, tenant B with one of its own.
    func setUp() throws -> (RunningApp, a: String, b: String, now: Int) {
        let t = try RunningApp()
        let a = try t.signUp("a@example.com").cookie
        let b = try t.signUp("b@example.com").cookie
        let now = Int(Date().timeIntervalSince1970) / 10 * 10
        let tenantA = try #require(try t.app.store.account(email: "a@example.com")).tenantID
        let tenantB = try #require(try t.app.store.account(email: "b@example.com")).tenantID
        t.app.storage.add(tenant: tenantA, flush: [("app.web1.requests", Point(now - 20, 1)), ("app.web2.requests", Point(now - 20, 7))])
        t.app.storage.add(tenant: tenantB, flush: [("app.web1.requests", Point(now - 20, 4242))])
        #expect(eventually { t.app.storage.stats.buffered.load(ordering: .relaxed) == 0 })
        return (t, a, b, now)
    }

    func object(_ r: RawResponse) -> [String: Any] { r.json }

    func create(_ t: RunningApp, _ cookie: String, _ document: String = example) throws -> Int {
        let r = try t.call("POST", "/api/v1/dashboards", json: document, headers: ["Cookie": cookie])
        #expect(r.status == 201, "\(r.text)")
        return try #require(r.json["id"] as? Int)
    }

    /// A new share key for a board (`kind` "dashboards" or "playlists").
    func shareKey(_ t: RunningApp, _ cookie: String, _ id: Int, kind: String = "dashboards") throws -> String {
        try #require(try t.call("POST", "/api/v1/\(kind)/\(id)/share", headers: ["Cookie": cookie]).json["key"] as? String)
    }

    @Test func dashboardsAreCreatedReadUpdatedAndDeletedKeepingUnknownFields() throws {
        let (t, a, _, _) = try setUp()
        let id = try create(t, a)
        let shown = try t.call("GET", "/api/v1/dashboards/\(id)", headers: ["Cookie": a])
        #expect(shown.status == 200 && shown.json["title"] as? String == "Checkout" && shown.json["owner"] as? String == "team-a")
        #expect((shown.json["widgets"] as? [Any])?.count == 6 && shown.json["shared"] as? Bool == false)
        let minimal = try create(t, a, #"{"title": "Bare"}"#)
        let defaults = try t.call("GET", "/api/v1/dashboards/\(minimal)", headers: ["Cookie": a]).json
        #expect(defaults["refresh"] as? Int == 10 && defaults["from"] as? String == "-1h" && (defaults["widgets"] as? [Any])?.isEmpty == true)
        let list = try t.call("GET", "/api/v1/dashboards", headers: ["Cookie": a]).json["dashboards"] as? [[String: Any]] ?? []
        #expect(list.map { $0["title"] as? String } == ["Checkout", "Bare"])
        let put = try t.call("PUT", "/api/v1/dashboards/\(minimal)", json: #"{"title": "Renamed", "refresh": 30}"#, headers: ["Cookie": a])
        #expect(put.status == 200 && put.json["title"] as? String == "Renamed" && put.json["refresh"] as? Int == 30)
        #expect(try t.call("DELETE", "/api/v1/dashboards/\(minimal)", headers: ["Cookie": a]).status == 204)
        #expect(try t.call("GET", "/api/v1/dashboards/\(minimal)", headers: ["Cookie": a]).status == 404)
    }

    @Test func badDocumentsGet400NamingTheField() throws {
        let (t, a, _, _) = try setUp()
        let cases: [(String, String)] = [
            (#"{"widgets": []}"#, "title"),
            (#"{"title": "x", "refresh": 0}"#, "refresh"),
            (#"{"title": "x", "from": "yesterday-ish"}"#, "from"),
            (#"{"title": "x", "tz": "Mars/Olympus_Mons"}"#, "tz"),
            (#"{"title": "x", "tz": "GMT+5"}"#, "tz"),
            (#"{"title": "x", "tz": 5.5}"#, "tz"),
            (#"{"title": "x", "widgets": {}}"#, "widgets"),
            (#"{"title": "x", "widgets": [{"type": "clock"}, {"type": "pie"}]}"#, "widgets[1].type"),
            (#"{"title": "x", "widgets": [{"type": "graph", "targets": []}]}"#, "widgets[0].targets"),
            (#"{"title": "x", "widgets": [{"type": "graph", "targets": ["sumSeries(a.*"]}]}"#, "widgets[0].targets[0]"),
            (#"{"title": "x", "widgets": [{"type": "graph", "targets": ["a", "frob(a)"]}]}"#, "widgets[0].targets[1]"),
            (#"{"title": "x", "widgets": [{"type": "number"}]}"#, "widgets[0].target"),
            (#"{"title": "x", "widgets": [{"type": "number", "target": "a", "thresholds": {"warning": "ten"}}]}"#, "widgets[0].thresholds.warning"),
            (#"{"title": "x", "widgets": [{"type": "text", "text": "t", "position": {"x": 8, "y": 0, "w": 6, "h": 1}}]}"#, "widgets[0].position"),
            (#"{"title": "x", "widgets": [{"type": "status"}]}"#, "widgets[0].component"),
            // Numbers no integer holds are refused, not converted (a conversion that traps would stop the server).
            (#"{"title": "x", "widgets": [{"type": "text", "text": "t", "position": {"x": 1e300, "y": 0, "w": 1, "h": 1}}]}"#, "widgets[0].position.x"),
            (#"{"title": "x", "widgets": [{"type": "text", "text": "t", "position": {"x": 0, "y": 0, "w": 1e999, "h": 1}}]}"#, "widgets[0].position.w"),
        ]
        for (body, field) in cases {
            let r = try t.call("POST", "/api/v1/dashboards", json: body, headers: ["Cookie": a])
            #expect(r.status == 400 && errorCode(r) == "invalid_document", "\(body): \(r.text)")
            let message = (r.json["error"] as? [String: Any])?["message"] as? String ?? ""
            #expect(message.hasPrefix(field + " "), "\(body): \(message)")
        }
        #expect(try t.call("POST", "/api/v1/dashboards", json: "{", headers: ["Cookie": a]).status == 400)
        #expect(try t.call("POST", "/api/v1/dashboards", json: "[1]", headers: ["Cookie": a]).status == 400)
        #expect(try t.call("POST", "/api/v1/dashboards", json: Self.example, headers: ["Cookie": a, "Content-Type": "text/plain"]).status == 415)
        #expect(try t.call("POST", "/api/v1/dashboards", json: Self.example).status == 401)
        #expect(try t.call("GET", "/api/v1/dashboards").status == 401)
    }

    @Test func aShareKeyOpensTheTVAndReadsOnlyItsDashboardsTargets() throws {
        let (t, a, _, now) = try setUp()
        let id = try create(t, a)
        let shared = try t.call("POST", "/api/v1/dashboards/\(id)/share", headers: ["Cookie": a])
        #expect(shared.status == 201)
        let key = try #require(shared.json["key"] as? String)
        #expect(shared.json["url"] as? String == "/tv/\(key)")
        let page = try t.call("GET", "/tv/\(key)")
        #expect(page.status == 200 && page.header("Content-Type")?.hasPrefix("text/html") == true)
        #expect(page.header("Content-Security-Policy")?.contains("script-src 'self'") == true)

        let data = try t.call("GET", "/api/v1/tv/\(key)/data")
        #expect(data.status == 200)
        let series = try #require(data.json["series"] as? [String: Any])
        let sum = try #require(((series["sumSeries(app.*.requests)"] as? [String: Any])?["series"] as? [[String: Any]])?.first)
        let start = try #require(sum["start"] as? Int), step = try #require(sum["step"] as? Int)
        let values = sum["values"] as? [Any] ?? []
        #expect(values[(now - 20 - start) / step] as? Double == 8, "1 + 7 summed at now-20")
        #expect((data.json["dashboard"] as? [String: Any])?["title"] as? String == "Checkout")

        let bearer = ["Authorization": "Bearer \(key)"]
        #expect(try t.call("GET", "/render?target=app.web2.requests&from=-1h", headers: bearer).text.contains("7.0"))
        #expect(try t.call("GET", "/render?target=app.*.requests&from=-1h", headers: bearer).status == 403)
        #expect(try t.call("GET", "/metrics/find?query=*", headers: bearer).status == 401)
        #expect(try t.call("GET", "/api/v1/dashboards", headers: bearer).status == 401)

        // Sharing again retires the old key, changing the dashboard changes what its key reads, and revoking
        // ends the new key: each at once, though the answers just before were cached.
        let second = try shareKey(t, a, id)
        #expect(try t.call("GET", "/api/v1/tv/\(key)/data").status == 404)
        #expect(try t.call("GET", "/api/v1/tv/\(second)/data").status == 200)
        let secondBearer = ["Authorization": "Bearer \(second)"]
        #expect(try t.call("GET", "/render?target=app.web2.requests&from=-1h", headers: secondBearer).status == 200)
        #expect(try t.call("PUT", "/api/v1/dashboards/\(id)", json: #"{"title": "Bare"}"#, headers: ["Cookie": a]).status == 200)
        #expect(try t.call("GET", "/render?target=app.web2.requests&from=-1h", headers: secondBearer).status == 403)
        #expect(try t.call("DELETE", "/api/v1/dashboards/\(id)/share", headers: ["Cookie": a]).status == 204)
        #expect(try t.call("GET", "/tv/\(second)").status == 404)
        #expect(try t.call("DELETE", "/api/v1/dashboards/\(id)/share", headers: ["Cookie": a]).status == 404)
        let gone = try t.call("GET", "/tv/not-a-key")
        #expect(gone.status == 404 && gone.text.contains("not shared any more"))
    }

    /// A dashboard's `tz` puts its clock times on that zone's clock: `midnight` is the start of the day in
    /// Kolkata (Foundation's calendar says when), not in UTC.
    @Test func aDashboardsClockTimesAreReadInItsZone() throws {
        let (t, a, _, _) = try setUp()
        func start(_ zone: String?) throws -> (start: Int, step: Int) {
            let tz = zone.map { #""tz": "\#($0)", "# } ?? ""
            let id = try create(t, a, #"{"title": "Today", \#(tz)"from": "midnight", "until": "midnight+1h", "widgets": [{"type": "number", "target": "app.web1.requests"}]}"#)
            let key = try shareKey(t, a, id)
            let series = try t.call("GET", "/api/v1/tv/\(key)/data").json["series"] as? [String: Any]
            let first = try #require(((series?["app.web1.requests"] as? [String: Any])?["series"] as? [[String: Any]])?.first)
            return (try #require(first["start"] as? Int), try #require(first["step"] as? Int))
        }
        for zone in ["Asia/Kolkata", "UTC", nil] {
            var calendar = Calendar(identifier: .gregorian)
            calendar.timeZone = TimeZone(identifier: zone ?? "UTC")!
            let midnight = Int(calendar.startOfDay(for: Date()).timeIntervalSince1970)
            let (first, step) = try start(zone)
            // whisper's fetch starts at the first step boundary after `from`.
            #expect(first == midnight - midnight % step + step, "\(zone ?? "no tz")")
        }
    }

    @Test func theTVDataAnswersOddParametersAndCapsPointsPerSeries() throws {
        let (t, a, _, _) = try setUp()
        let id = try create(t, a, #"{"title": "Day", "from": "-24h", "widgets": [{"type": "graph", "targets": ["app.web1.requests", "app.web1.requests"]}, {"type": "number", "target": "nosuch.series"}]}"#)
        let key = try shareKey(t, a, id)
        for query in ["", "?index=-7", "?index=abc", "?points=0", "?points=99999999999999999999999", "?points=100"] {
            let r = try t.call("GET", "/api/v1/tv/\(key)/data\(query)")
            #expect(r.status == 200, "\(query)")
            let series = r.json["series"] as? [String: Any] ?? [:]
            #expect(series.keys.sorted() == ["app.web1.requests", "nosuch.series"], "each target once: \(query)")
            let values = (((series["app.web1.requests"] as? [String: Any])?["series"] as? [[String: Any]])?.first?["values"] as? [Any]) ?? []
            // 24 h at the 60 s archive is 1,440 points; `points` caps it (default 1,000, at least 1, at most 4,000).
            let cap = query == "?points=100" ? 100 : query == "?points=0" ? 1 : 1000
            #expect(!values.isEmpty && values.count <= cap, "\(query): \(values.count) values")
            #expect(((series["nosuch.series"] as? [String: Any])?["series"] as? [Any])?.isEmpty == true)
        }
        #expect(try t.call("GET", "/api/v1/tv/\(String(repeating: "k", count: 5000))/data").status == 404)
    }

    @Test func dashboardsAndShareKeysStayWithinTheirTenant() throws {
        let (t, a, b, _) = try setUp()
        let id = try create(t, a)
        for (method, path) in [("GET", ""), ("PUT", ""), ("DELETE", ""), ("POST", "/share"), ("DELETE", "/share"), ("GET", "/data")] {
            let r = try t.call(method, "/api/v1/dashboards/\(id)\(path)", json: method == "PUT" ? Self.example : nil, headers: ["Cookie": b])
            #expect(r.status == 404, "\(method) \(path)")
        }
        #expect(try t.call("GET", "/api/v1/dashboards", headers: ["Cookie": b]).json["dashboards"] as? [Any] != nil)
        #expect((try t.call("GET", "/api/v1/dashboards", headers: ["Cookie": b]).json["dashboards"] as? [Any])?.isEmpty == true)
        let playlist = try t.call("POST", "/api/v1/playlists", json: #"{"title": "B", "dashboards": [\#(id)]}"#, headers: ["Cookie": b])
        #expect(playlist.status == 400 && playlist.text.contains("dashboards[0]"))
        // B's dashboard naming the same series reads B's data, never A's, through B's share key.
        let own = try create(t, b, #"{"title": "B", "widgets": [{"type": "number", "target": "app.web2.requests"}, {"type": "number", "target": "app.web1.requests"}]}"#)
        let key = try shareKey(t, b, own)
        let data = try t.call("GET", "/api/v1/tv/\(key)/data").text
        #expect(data.contains("4242") && !data.contains("7.0") && !data.contains("Checkout"))
    }

    @Test func aPlaylistRotatesItsDashboardsUnderOneShareKey() throws {
        let (t, a, _, _) = try setUp()
        let first = try create(t, a)
        let second = try create(t, a, #"{"title": "Second", "widgets": [{"type": "clock"}]}"#)
        let r = try t.call("POST", "/api/v1/playlists", json: #"{"title": "Lobby", "dwell": 20, "dashboards": [\#(first), \#(second)]}"#, headers: ["Cookie": a])
        #expect(r.status == 201)
        let id = try #require(r.json["id"] as? Int)
        let key = try shareKey(t, a, id, kind: "playlists")
        #expect(try t.call("GET", "/tv/\(key)").status == 200)
        var titles: [String] = []
        for index in 0..<3 {
            let data = try t.call("GET", "/api/v1/tv/\(key)/data?index=\(index)").json
            titles.append((data["dashboard"] as? [String: Any])?["title"] as? String ?? "")
            #expect((data["playlist"] as? [String: Any])?["dwell"] as? Int == 20)
        }
        #expect(titles == ["Checkout", "Second", "Checkout"])
        // Its key reads the targets of its dashboards.
        #expect(try t.call("GET", "/render?target=app.web2.requests&from=-1h", headers: ["Authorization": "Bearer \(key)"]).status == 200)
        #expect(try t.call("POST", "/api/v1/playlists", json: #"{"title": "Empty", "dashboards": []}"#, headers: ["Cookie": a]).status == 400)
        #expect(try t.call("POST", "/api/v1/playlists", json: #"{"title": "Huge", "dashboards": [1e300]}"#, headers: ["Cookie": a]).status == 400)
    }
}
