import Foundation
import GRDB
import HTTP
import Logging
import Posix
import Testing
import TestSupport

@testable import App
import Whisper

/// The whole service on loopback port 0 with its own data directory.
final class RunningApp {
    let app: TelewallApp
    let port: UInt16
    let data: String

    init(configure: (inout Config) -> Void = { _ in }) throws {
        data = temporaryDirectory()
        var config = Config()
        config.dataDirectory = data
        config.http = SocketAddress(host: "127.0.0.1", port: 0)
        config.statsd = SocketAddress(host: "127.0.0.1", port: 0)
        config.graphite = SocketAddress(host: "127.0.0.1", port: 0)
        configure(&config)
        app = try buildApp(config: config, logger: Logger(label: "test"))
        try app.start()
        port = app.address(of: "http")!.port
    }

    deinit { app.stop(drainTimeout: 1) }

    func client() throws -> RawHTTPClient { try RawHTTPClient(port: port) }

    /// Sends one JSON request on a new connection.
    func call(_ method: String, _ path: String, json: String? = nil, headers: [String: String] = [:]) throws -> RawResponse {
        var headers = headers
        if json != nil && headers["Content-Type"] == nil { headers["Content-Type"] = "application/json" }
        return try #require(try client().request(method, path, headers: headers, body: Array((json ?? "").utf8)))
    }

    /// Signs up and returns the session cookie header value and the first token.
    func signUp(_ email: String, password: String = "password-123") throws -> (cookie: String, token: String) {
        let r = try call("POST", "/api/v1/signup", json: #"{"email":"\#(email)","password":"\#(password)"}"#)
        #expect(r.status == 201)
        let setCookie = try #require(r.header("Set-Cookie"))
        let token = ((r.json["token"] as? [String: Any])?["value"] as? String) ?? ""
        return (String(setCookie.split(separator: ";")[0]), token)
    }
}

func errorCode(_ r: RawResponse) -> String? { (r.json["error"] as? [String: Any])?["code"] as? String }

@Suite struct SignUpAndSessionTests {
    @Test func signUpReturnsTheAccountTheFirstTokenAndASessionCookie() throws {
        let t = try RunningApp()
        let r = try t.call("POST", "/api/v1/signup", json: #"{"email":"dev@example.com","password":"password-123"}"#)
        #expect(r.status == 201)
        #expect(r.header("Content-Type") == "application/json" && r.header("X-Content-Type-Options") == "nosniff")
        let account = try #require(r.json["account"] as? [String: Any])
        let token = try #require(r.json["token"] as? [String: Any])
        #expect(account["email"] as? String == "dev@example.com" && account["id"] != nil)
        #expect(token["name"] as? String == "default" && token["id"] != nil)
        let value = try #require(token["value"] as? String)
        #expect(value.count >= 26 && value.range(of: "^[a-z0-9]+$", options: .regularExpression) != nil)
        let cookie = try #require(r.header("Set-Cookie"))
        #expect(cookie.hasPrefix("tw_session=") && cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"))
        #expect(!cookie.contains("Secure"))
    }

    @Test func signUpErrorsHaveTheirStatusAndCode() throws {
        let t = try RunningApp()
        _ = try t.signUp("taken@example.com")
        let cases: [(String?, [String: String], Int, String)] = [
            (#"{"email":"TAKEN@example.com","password":"password-123"}"#, [:], 409, "email_taken"),
            (#"{"email":"nope","password":"password-123"}"#, [:], 400, "invalid_email"),
            (#"{"email":"ok@example.com","password":"short"}"#, [:], 400, "weak_password"),
            (#"{"email":"ok@example.com"}"#, [:], 400, "weak_password"),
            (#"{"email":1,"password":"password-123"}"#, [:], 400, "invalid_email"),
            ("not json", [:], 400, "bad_request"),
            ("[1,2]", [:], 400, "bad_request"),
            ("", [:], 400, "bad_request"),
            ("email=a%40b.io&password=password-123", ["Content-Type": "application/x-www-form-urlencoded"], 415, "unsupported_media_type"),
        ]
        for (body, headers, status, code) in cases {
            let r = try t.call("POST", "/api/v1/signup", json: body, headers: headers)
            #expect(r.status == status, "\(body ?? "")")
            #expect(errorCode(r) == code, "\(body ?? "")")
            #expect(r.header("Set-Cookie") == nil)
        }
    }

    @Test func signUpsFromOneAddressGet429WithRetryAfter() throws {
        let t = try RunningApp { $0.signupLimit = 2 }
        _ = try t.signUp("a@example.com")
        _ = try t.signUp("b@example.com")
        let r = try t.call("POST", "/api/v1/signup", json: #"{"email":"c@example.com","password":"password-123"}"#)
        #expect(r.status == 429 && errorCode(r) == "too_many_attempts")
        #expect(Int(r.header("Retry-After") ?? "") ?? 0 > 3500)
    }

    @Test func logInLogOutAndThrottling() throws {
        let t = try RunningApp { $0.loginLimit = 2 }
        _ = try t.signUp("dev@example.com")
        let ok = try t.call("POST", "/api/v1/session", json: #"{"email":"dev@example.com","password":"password-123"}"#)
        #expect(ok.status == 200 && (ok.json["account"] as? [String: Any])?["email"] as? String == "dev@example.com")
        let cookie = String(try #require(ok.header("Set-Cookie")).split(separator: ";")[0])
        #expect(try t.call("GET", "/api/v1/me", headers: ["Cookie": cookie]).status == 200)
        let out = try t.call("DELETE", "/api/v1/session", headers: ["Cookie": cookie])
        #expect(out.status == 204 && out.header("Set-Cookie")?.contains("Max-Age=0") == true)
        #expect(try t.call("GET", "/api/v1/me", headers: ["Cookie": cookie]).status == 401)

        for _ in 0..<2 {
            let bad = try t.call("POST", "/api/v1/session", json: #"{"email":"dev@example.com","password":"wrong-password"}"#)
            #expect(bad.status == 401 && errorCode(bad) == "invalid_credentials")
        }
        let unknown = try t.call("POST", "/api/v1/session", json: #"{"email":"ghost@example.com","password":"whatever1"}"#)
        #expect(unknown.status == 429)
        let blocked = try t.call("POST", "/api/v1/session", json: #"{"email":"dev@example.com","password":"password-123"}"#)
        #expect(blocked.status == 429 && errorCode(blocked) == "too_many_attempts" && blocked.header("Retry-After") != nil)
    }
}

@Suite struct TokenAndKeyTests {
    @Test func meNeedsASessionOrAReadKeyNeverAnIngestToken() throws {
        let t = try RunningApp()
        let (cookie, token) = try t.signUp("dev@example.com")
        #expect(try t.call("GET", "/api/v1/me").status == 401)
        #expect(errorCode(try t.call("GET", "/api/v1/me")) == "unauthorized")
        #expect(try t.call("GET", "/api/v1/me", headers: ["Cookie": "tw_session=forged"]).status == 401)
        let me = try t.call("GET", "/api/v1/me", headers: ["Cookie": cookie])
        #expect(me.status == 200 && (me.json["usage"] as? [String: Any])?["metrics"] as? Int == 0)
        #expect(try t.call("GET", "/api/v1/me", headers: ["Authorization": "Bearer \(token)"]).status == 403)
        #expect(try t.call("GET", "/api/v1/me", headers: ["Authorization": "Bearer nonsense"]).status == 401)
        let key = try t.call("POST", "/api/v1/keys", json: #"{"name":"grafana"}"#, headers: ["Cookie": cookie])
        #expect(key.status == 201)
        let keyValue = try #require(key.json["value"] as? String)
        let viaKey = try t.call("GET", "/api/v1/me", headers: ["Authorization": "Bearer \(keyValue)"])
        #expect(viaKey.status == 200 && (viaKey.json["account"] as? [String: Any])?["email"] as? String == "dev@example.com")
        // A read key manages nothing: tokens and keys need the session.
        #expect(try t.call("GET", "/api/v1/tokens", headers: ["Authorization": "Bearer \(keyValue)"]).status == 401)
    }

    @Test(arguments: ["tokens", "keys"])
    func issueListAndRevoke(kind: String) throws {
        let t = try RunningApp()
        let (cookie, _) = try t.signUp("dev@example.com")
        let (otherCookie, _) = try t.signUp("other@example.com")
        #expect(try t.call("GET", "/api/v1/\(kind)").status == 401)
        let issued = try t.call("POST", "/api/v1/\(kind)", json: #"{"name":"ci <bot>"}"#, headers: ["Cookie": cookie])
        #expect(issued.status == 201)
        #expect(issued.text.contains(#""ci \u003cbot\u003e""#), "JSON escapes < and >")
        let id = try #require(issued.json["id"] as? Int)
        let value = try #require(issued.json["value"] as? String)
        let list = try t.call("GET", "/api/v1/\(kind)", headers: ["Cookie": cookie])
        let items = try #require(list.json[kind] as? [[String: Any]])
        #expect(items.map { $0["name"] as? String } .contains("ci <bot>"))
        #expect(!list.text.contains(value), "a list never shows a value")
        #expect(items.allSatisfy { $0["value"] == nil && ($0["prefix"] as? String)?.count == 6 })
        // The other tenant sees none of it and cannot revoke it.
        let otherList = try t.call("GET", "/api/v1/\(kind)", headers: ["Cookie": otherCookie])
        #expect(!otherList.text.contains("ci \\u003cbot"))
        #expect(try t.call("DELETE", "/api/v1/\(kind)/\(id)", headers: ["Cookie": otherCookie]).status == 404)
        #expect(try t.call("DELETE", "/api/v1/\(kind)/\(id)", headers: ["Cookie": cookie]).status == 204)
        #expect(try t.call("DELETE", "/api/v1/\(kind)/\(id)", headers: ["Cookie": cookie]).status == 404)
        #expect(try t.call("DELETE", "/api/v1/\(kind)/abc", headers: ["Cookie": cookie]).status == 404)
        #expect(!(try t.call("GET", "/api/v1/\(kind)", headers: ["Cookie": cookie])).text.contains("ci \\u003cbot"))
        for bad in [#"{}"#, #"{"name":""}"#, #"{"name":"\#(String(repeating: "x", count: 65))"}"#, #"{"name":"a\nb"}"#] {
            let r = try t.call("POST", "/api/v1/\(kind)", json: bad, headers: ["Cookie": cookie])
            #expect(r.status == 400 && errorCode(r) == "invalid_name", "\(bad)")
        }
    }

    /// A token issued or revoked through the API works or stops at once, not at ingest's next periodic reload
    /// of the tokens (an hour away here), and a read attempt with a revoked one is refused as unknown at once.
    @Test func ingestKnowsOfIssuedAndRevokedTokensAtOnce() throws {
        let t = try RunningApp { $0.tokenRefresh = 3600 }
        func ingest(_ token: String) throws -> Int {
            try t.call("POST", "/api/v1/ingest", json: "users.new:1|c", headers: ["Authorization": "Bearer \(token)", "Content-Type": "text/plain"]).status
        }
        let (cookie, first) = try t.signUp("dev@example.com")
        #expect(try ingest(first) == 202)
        let issued = try t.call("POST", "/api/v1/tokens", json: #"{"name":"second"}"#, headers: ["Cookie": cookie])
        let second = try #require(issued.json["value"] as? String)
        #expect(try ingest(second) == 202)
        let readWithFirst = { try t.call("GET", "/metrics/find?query=*", headers: ["Authorization": "Bearer \(first)"]).status }
        #expect(try readWithFirst() == 403, "an ingest token is known but cannot read")
        let list = try t.call("GET", "/api/v1/tokens", headers: ["Cookie": cookie])
        let firstID = try #require((list.json["tokens"] as? [[String: Any]])?.first { $0["name"] as? String == "default" }?["id"] as? Int)
        #expect(try t.call("DELETE", "/api/v1/tokens/\(firstID)", headers: ["Cookie": cookie]).status == 204)
        #expect(try ingest(first) == 401)
        #expect(try readWithFirst() == 401, "a revoked token is unknown at once, not write-only from the cache")
        #expect(try ingest(second) == 202)
    }

    /// A read key answers from a cache for a few seconds; revoking it here ends it on the next request.
    @Test func aRevokedReadKeyStopsAtOnce() throws {
        let t = try RunningApp()
        let (cookie, _) = try t.signUp("dev@example.com")
        let issued = try t.call("POST", "/api/v1/keys", json: #"{"name":"wall"}"#, headers: ["Cookie": cookie])
        let key = try #require(issued.json["value"] as? String), id = try #require(issued.json["id"] as? Int)
        let bearer = ["Authorization": "Bearer \(key)"]
        #expect(try t.call("GET", "/metrics/find?query=*", headers: bearer).status == 200)
        #expect(try t.call("DELETE", "/api/v1/keys/\(id)", headers: ["Cookie": cookie]).status == 204)
        #expect(try t.call("GET", "/metrics/find?query=*", headers: bearer).status == 401)
    }

    /// The worker pools take turns by tenant once a credential's tenant is known: two read keys and the session
    /// of one tenant count as one, another tenant apart; a credential not yet seen counts as itself.
    @Test func workerPoolTurnsGoByTenant() throws {
        let t = try RunningApp()
        let (cookieA, _) = try t.signUp("a@example.com"), (cookieB, _) = try t.signUp("b@example.com")
        func key(_ cookie: String) throws -> String {
            try #require(try t.call("POST", "/api/v1/keys", json: #"{"name":"k"}"#, headers: ["Cookie": cookie]).json["value"] as? String)
        }
        let credentials = [("a1", ["Authorization": "Bearer \(try key(cookieA))"]), ("a2", ["Authorization": "Bearer \(try key(cookieA))"]),
                           ("a", ["Cookie": cookieA]), ("b1", ["Authorization": "Bearer \(try key(cookieB))"]), ("b", ["Cookie": cookieB])]
        func request(_ headers: [String: String]) -> Request {
            Request(method: "GET", target: "/metrics/find?query=*", headers: headers.map { Header($0.key, $0.value) })
        }
        func turns() -> [String: UInt64] {
            Dictionary(uniqueKeysWithValues: credentials.map { name, headers in (name, t.app.auth.fairnessKey(request(headers))) })
        }
        let unseen = turns()
        #expect(unseen["a1"] != unseen["a2"], "keys not yet looked up count as themselves")
        for (_, headers) in credentials { #expect(try t.call("GET", "/metrics/find?query=*", headers: headers).status == 200) }
        let seen = turns()
        #expect(seen["a1"] == seen["a2"] && seen["a1"] == seen["a"])
        #expect(seen["b1"] == seen["b"] && seen["b1"] != seen["a1"])
        // The listeners' servers are set up to use it.
        let configuration = t.app.serverConfiguration(SocketAddress(host: "127.0.0.1", port: 0), tls: nil)
        for (name, headers) in credentials { #expect(configuration.fairnessKey(request(headers)) == seen[name], "\(name)") }
    }

    @Test func aRevokedTokenNoLongerIdentifiesItsTenant() throws {
        let t = try RunningApp()
        let (cookie, token) = try t.signUp("dev@example.com")
        #expect(try t.app.store.account(forSecret: token, kind: .ingestToken) != nil)
        let list = try t.call("GET", "/api/v1/tokens", headers: ["Cookie": cookie])
        let id = try #require((list.json["tokens"] as? [[String: Any]])?.first?["id"] as? Int)
        #expect(try t.call("DELETE", "/api/v1/tokens/\(id)", headers: ["Cookie": cookie]).status == 204)
        #expect(try t.app.store.account(forSecret: token, kind: .ingestToken) == nil)
    }
}

@Suite struct OperationsTests {
    @Test func healthzListsEachComponent() throws {
        let t = try RunningApp()
        let r = try t.call("GET", "/healthz")
        #expect(r.status == 200 && r.json["status"] as? String == "ok")
        let components = try #require(r.json["components"] as? [String: [String: Any]])
        #expect(Set(components.keys) == ["http", "statsd", "graphite", "storage", "database"])
        #expect(components["http"]?["state"] as? String == "ONLINE")
        for c in components.values {
            #expect(c["reason"] is String && c["changed_at"] is String && c["change_count"] is Int)
        }
    }

    /// `/healthz` keeps its answer between changes, and a change shows on the next request.
    @Test func healthzShowsAChangeAtOnce() throws {
        let t = try RunningApp()
        #expect(try t.call("GET", "/healthz").status == 200)
        t.app.health.set("storage", "DEGRADED", reason: "disk full")
        let degraded = try t.call("GET", "/healthz")
        let storage = try #require((degraded.json["components"] as? [String: [String: Any]])?["storage"])
        #expect(degraded.status == 503 && degraded.json["status"] as? String == "degraded")
        #expect(storage["state"] as? String == "DEGRADED" && storage["reason"] as? String == "disk full")
        #expect(storage["change_count"] as? Int == 1)
        t.app.health.set("storage", "ONLINE", reason: "writing")
        let back = try t.call("GET", "/healthz")
        #expect(back.status == 200 && (back.json["components"] as? [String: [String: Any]])?["storage"]?["change_count"] as? Int == 2)
    }

    @Test func metricsCountRequestsByStatusAndConnections() throws {
        let t = try RunningApp { $0.maxConnections = 77 }
        _ = try t.call("GET", "/nowhere")
        _ = try t.call("GET", "/nowhere")
        let text = try t.call("GET", "/metrics").text
        #expect(text.contains("telewall_http_requests_total{listener=\"http\",status=\"404\"} 2"))
        #expect(text.contains("telewall_http_connections_capacity{listener=\"http\"} 77"))
        #expect(text.contains("telewall_http_connections_high_water{listener=\"http\"} "))
        #expect(text.contains("telewall_http_connections_refused_total{listener=\"http\"} 0"))
        #expect(text.contains("# TYPE telewall_http_requests_total counter"))
        #expect(text.contains("telewall_points_buffered 0") && text.contains("telewall_points_dropped_total 0"))
        #expect(text.contains("telewall_component_up{component=\"storage\"} 1"))
    }

    /// The duration histogram is a Prometheus histogram: cumulative buckets ending in `+Inf`, which equals `_count`.
    @Test func metricsExposeRequestDurationsAsAHistogram() throws {
        let t = try RunningApp()
        for _ in 0..<4 { _ = try t.call("GET", "/nowhere") }
        let text = try t.call("GET", "/metrics").text
        #expect(text.contains("# TYPE telewall_http_request_duration_seconds histogram"))
        // Unknown paths fall to the static files, which answer them 404.
        let labels = #"listener="http",pool="event_loop",route="static""#
        let buckets = text.split(separator: "\n").filter { $0.hasPrefix("telewall_http_request_duration_seconds_bucket{le=\"") && $0.contains(labels) }
            .map { line in (line.split(separator: "\"")[1], Int(line.split(separator: " ").last!)!) }
        #expect(buckets.map { String($0.0) } == DurationHistogram.bounds.map { String($0) } + ["+Inf"])
        #expect(zip(buckets, buckets.dropFirst()).allSatisfy { $0.1 <= $1.1 })
        #expect(buckets.last?.1 == 4)
        #expect(text.contains("telewall_http_request_duration_seconds_count{\(labels)} 4"))
        #expect(text.contains("telewall_http_request_duration_seconds_sum{\(labels)} "))
    }

    @Test func anAdminListenerTakesOverHealthAndMetrics() throws {
        let t = try RunningApp { $0.admin = SocketAddress(host: "127.0.0.1", port: 0) }
        #expect(try t.call("GET", "/healthz").status == 404)
        let admin = try RawHTTPClient(port: t.app.address(of: "admin")!.port)
        #expect(admin.request("GET", "/healthz")?.status == 200)
        #expect(admin.request("GET", "/metrics")?.text.contains("telewall_http_requests_total") == true)
    }

    @Test func pagesAreServedWithTheirPolicy() throws {
        let t = try RunningApp()
        for path in ["/", "/login", "/account", "/app.js", "/app.css"] {
            let r = try t.call("GET", path)
            #expect(r.status == 200, "\(path)")
        }
        let csp = try #require(try t.call("GET", "/").header("Content-Security-Policy"))
        #expect(csp.contains("default-src 'self'") && csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"))
    }

    /// An app listening on HTTP and, with a fresh self-signed certificate from the `openssl` command, on HTTPS.
    private func runningAppWithHTTPS() throws -> RunningApp {
        let dir = temporaryDirectory()
        try run("/usr/bin/openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "\(dir)/k.pem", "-out", "\(dir)/c.pem", "-days", "1", "-subj", "/CN=localhost"])
        return try RunningApp {
            $0.tlsCertificate = "\(dir)/c.pem"
            $0.tlsKey = "\(dir)/k.pem"
            $0.https = SocketAddress(host: "127.0.0.1", port: 0)
        }
    }

    @Test func httpsCarriesSecureCookies() throws {
        let t = try runningAppWithHTTPS()
        let port = try #require(t.app.address(of: "https")).port
        let (status, headers) = try run("/usr/bin/curl", [
            "-sk", "-o", "/dev/null", "-D", "-", "-H", "Content-Type: application/json",
            "--data", #"{"email":"tls@example.com","password":"password-123"}"#, "https://127.0.0.1:\(port)/api/v1/signup",
        ])
        #expect(status == 0)
        #expect(headers.contains("HTTP/1.1 201"))
        #expect(headers.lowercased().contains("set-cookie: tw_session=") && headers.contains("; Secure"))
    }

    /// HTTP and HTTPS answer from the same credential caches: a read key revoked through one stops on the other
    /// at once, not after the 2 s its cached answer would last.
    @Test func aKeyRevokedOverHTTPStopsOverHTTPSAtOnce() throws {
        let t = try runningAppWithHTTPS()
        let port = try #require(t.app.address(of: "https")).port
        let (cookie, _) = try t.signUp("dev@example.com")
        let issued = try t.call("POST", "/api/v1/keys", json: #"{"name":"wall"}"#, headers: ["Cookie": cookie])
        let key = try #require(issued.json["value"] as? String), id = try #require(issued.json["id"] as? Int)
        func statusOverHTTPS() throws -> String {
            try run("/usr/bin/curl", ["-sk", "-o", "/dev/null", "-w", "%{http_code}", "-H", "Authorization: Bearer \(key)", "https://127.0.0.1:\(port)/metrics/find?query=*"]).1
        }
        #expect(try statusOverHTTPS() == "200")
        #expect(try t.call("DELETE", "/api/v1/keys/\(id)", headers: ["Cookie": cookie]).status == 204)
        #expect(try statusOverHTTPS() == "401")
    }
}

@Suite struct ConfigTests {
    @Test func flagsBeatEnvironmentWhichBeatsTheFile() throws {
        let dir = temporaryDirectory()
        try "data = \"/from/file\"\nhttp = \"127.0.0.1:1111\"\nflush_interval = 5\nmax_connections = 9\n".write(toFile: dir + "/t.toml", atomically: true, encoding: .utf8)
        let config = try Config.load(file: dir + "/t.toml", environment: ["TELEWALL_HTTP": "127.0.0.1:2222", "TELEWALL_MAX_CONNECTIONS": "10"], overrides: [.max_connections: "11"])
        #expect(config.dataDirectory == "/from/file")
        #expect(config.http == SocketAddress(host: "127.0.0.1", port: 2222))
        #expect(config.flushInterval == 5)
        #expect(config.maxConnections == 11)
    }

    @Test func badSettingsAreNamed() throws {
        let dir = temporaryDirectory()
        try "bogus = 1\n".write(toFile: dir + "/t.toml", atomically: true, encoding: .utf8)
        #expect(throws: Config.Invalid.self) { try Config.load(file: dir + "/t.toml", environment: [:], overrides: [:]) }
        do { _ = try Config.load(file: nil, environment: [:], overrides: [.http: "nope"]) } catch {
            #expect("\(error)".contains("http: 'nope' is not HOST:PORT"))
        }
        #expect(throws: Config.Invalid.self) { try Config.load(file: nil, environment: ["TELEWALL_FLUSH_INTERVAL": "-1"], overrides: [:]) }
    }
}

@Suite struct StorageConfigTests {
    @Test func storageRulesComeFromTheConfigFile() throws {
        let dir = temporaryDirectory()
        try """
            [[storage.schema]]
            pattern = "^stats\\\\.gauges\\\\."
            retentions = "1m:1d,1h:30d"

            [[storage.aggregation]]
            pattern = "\\\\.p99$"
            method = "max"
            xFilesFactor = 0.2
            """.write(toFile: dir + "/t.toml", atomically: true, encoding: .utf8)
        let config = try Config.load(file: dir + "/t.toml", environment: [:], overrides: [:])
        #expect(config.storageRules.retentions(for: "stats.gauges.x").map(\.description) == ["60:1440", "3600:720"])
        #expect(config.storageRules.retentions(for: "stats.counters.x.count").map(\.description) == ["10:2160", "60:10080", "600:262974"])
        #expect(config.storageRules.aggregation(for: "a.p99") == (.max, 0.2))
        try "[[storage.aggregation]]\npattern = \"x\"\nmethod = \"median\"\n".write(toFile: dir + "/bad.toml", atomically: true, encoding: .utf8)
        #expect(throws: Config.Invalid.self) { try Config.load(file: dir + "/bad.toml", environment: [:], overrides: [:]) }
    }
}
