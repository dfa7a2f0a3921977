import Foundation
import Logging
import Glibc
import Posix
import Synchronization
import TLS
import Testing
import TestSupport

@testable import HTTP

/// A server on a loopback port with a small test router and short timeouts.
final class TestServer {
    let server: HTTPServer
    let port: UInt16
    let publicDirectory: String

    init(maxConnections: Int = 64, headerTimeout: Double = 0.4, idleTimeout: Double = 2, tls: TLSContext? = nil, eventLoops: Int? = nil) throws {
        publicDirectory = temporaryDirectory()
        var router = Router()
        router.add("GET", "/hello", on: .eventLoop) { _ in .text("hello") }
        router.add("POST", "/echo") { request in Response(status: 200, headers: [Header("Content-Type", "application/octet-stream")], body: request.body) }
        router.add("GET", "/slow") { _ in
            usleep(300_000)
            return .text("slow done")
        }
        router.add("GET", "/nap", on: .computePool) { _ in
            usleep(30_000)
            return .text("rested")
        }
        // Holds its event loop: what else that loop should read waits in the kernel meanwhile.
        router.add("GET", "/hold", on: .eventLoop) { _ in
            usleep(200_000)
            return .text("held")
        }
        router.add("GET", "/items/{id}", on: .eventLoop) { .text("item " + ($0.pathParameters["id"] ?? "?")) }
        router.add("GET", "/fail") { _ in throw CocoaError(.fileNoSuchFile) }
        router.add("GET", "/jitter/{id}") { request in
            usleep(UInt32.random(in: 0...400))
            return .text(request.pathParameters["id"] ?? "?")
        }
        router.add("GET", "/slice", on: .eventLoop) { _ in .text(String(SchedulerSlice.current)) }
        router.add("GET", "/slice-on-pool") { _ in .text(String(SchedulerSlice.current)) }
        router.add("GET", "/large/{bytes}") { request in
            let count = Int(request.pathParameters["bytes"] ?? "") ?? 0
            let start = malloc(max(1, count))!.assumingMemoryBound(to: UInt8.self)
            for i in 0..<count { start[i] = TestServer.patternByte(i) }
            return Response(status: 200, body: .written(WrittenBytes(takingOwnershipOf: start, count: count)))
        }
        let files = StaticFiles(root: publicDirectory)
        router.fallback = { files.respond(to: $0) }
        var configuration = ServerConfiguration(address: SocketAddress(host: "127.0.0.1", port: 0), tls: tls)
        configuration.maxConnections = maxConnections
        configuration.headerTimeout = headerTimeout
        configuration.requestTimeout = headerTimeout * 2
        configuration.idleTimeout = idleTimeout
        if let eventLoops { configuration.eventLoops = eventLoops }
        server = HTTPServer(configuration: configuration, router: router, logger: Logger(label: "test"))
        port = try server.start().port
    }

    deinit { server.shutdown(drainTimeout: 1) }

    func client(timeout: Double = 5) throws -> RawHTTPClient { try RawHTTPClient(port: port, timeout: timeout) }

    /// The bytes of `/large/{bytes}`: a pattern whose period is prime, so a byte out of place shows.
    static func patternByte(_ i: Int) -> UInt8 { UInt8(i % 251) }
}


@Suite struct ServerTests {
    @Test func keepAliveServesManyRequestsOnOneConnection() throws {
        let t = try TestServer()
        let c = try t.client()
        for i in 0..<20 {
            let r = c.request("GET", "/items/\(i)")
            #expect(r?.status == 200 && r?.text == "item \(i)")
            #expect(r?.header("Connection") == nil)
            #expect(r?.header("Date")?.hasSuffix(" GMT") == true)
        }
    }

    /// The event loops ask for the shortest scheduler slice; the worker pool keeps the default.
    @Test func eventLoopsRunOnTheShortSliceTheyAskFor() throws {
        let t = try TestServer()
        let c = try t.client()
        let loop = c.request("GET", "/slice")?.text, pool = c.request("GET", "/slice-on-pool")?.text
        let probe = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var honoured = false
        Thread {
            honoured = SchedulerSlice.request(microseconds: 100) && SchedulerSlice.current == 100
            probe.signal()
        }.start()
        probe.wait()
        if honoured {
            #expect(loop == "100" && pool != "100", "loop \(loop ?? "-") µs, pool \(pool ?? "-") µs")
        } else {
            #expect(loop == pool, "a kernel without slice requests leaves every thread on its default")
        }
    }

    /// The loops and pools are named for the OS, so `top -H` and `/proc` tell them apart.
    @Test func threadsCarryTheirNamesIntoTheOS() throws {
        let t = try TestServer()
        _ = try t.client().request("GET", "/slice-on-pool")
        let tasks = try FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")
        let names = Set(tasks.compactMap { try? String(contentsOfFile: "/proc/self/task/\($0)/comm", encoding: .utf8) }
            .map { $0.trimmingCharacters(in: .newlines) })
        #expect(names.isSuperset(of: ["http-loop-0", "http-compute-0", "http-worker-0"]), "\(names.sorted())")
    }

    @Test func pipelinedRequestsAreAnsweredInOrder() throws {
        let t = try TestServer()
        let c = try t.client()
        c.send("GET /slow HTTP/1.1\r\n\r\nPOST /echo HTTP/1.1\r\nContent-Length: 4\r\n\r\nabcdGET /hello HTTP/1.1\r\n\r\nGET /items/x%20y HTTP/1.1\r\n\r\n")
        #expect(c.readResponse()?.text == "slow done")
        #expect(c.readResponse()?.text == "abcd")
        #expect(c.readResponse()?.text == "hello")
        #expect(c.readResponse()?.text == "item x y")
    }

    /// Large bodies go out from their own buffers behind their heads, several chunks to a `sendmsg`; a reader
    /// that waits makes the socket fill, and sending must resume at the right byte of the right chunk.
    @Test func largeAnswersToAWaitingReaderArriveWholeAndInOrder() throws {
        let t = try TestServer()
        let c = try t.client()
        let sizes = [12_000_000, 5, 70_000, 1]  // the first larger than a socket's largest send buffer (4 MiB)
        c.send(sizes.map { "GET /large/\($0) HTTP/1.1\r\n\r\nGET /hello HTTP/1.1\r\n\r\n" }.joined())
        usleep(300_000)
        for size in sizes {
            let large = c.readResponse()
            #expect(large?.body.count == size)
            #expect(large?.body.enumerated().allSatisfy { $0.element == TestServer.patternByte($0.offset) } == true)
            #expect(c.readResponse()?.text == "hello")
        }
    }

    /// The loop reads a socket again only after a full buffer or a new event: a request in pieces with pauses,
    /// one sent while another is on the worker pool, and a body several reads long must all be answered.
    @Test func requestsArrivingInPiecesOrDuringAnotherAreAnswered() throws {
        let t = try TestServer()
        let c = try t.client()
        c.send("GET /items/pie")
        usleep(50_000)
        c.send("ces HTTP/1.1\r\nHost: x")
        usleep(50_000)
        c.send("\r\n\r\n")
        #expect(c.readResponse()?.text == "item pieces")
        c.send("GET /slow HTTP/1.1\r\n\r\n")
        usleep(100_000)
        c.send("GET /hello HTTP/1.1\r\n\r\n")
        #expect(c.readResponse()?.text == "slow done")
        #expect(c.readResponse()?.text == "hello")
        let body = (0..<300_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        #expect(c.request("POST", "/echo", body: body)?.body == body)
        #expect(c.request("GET", "/hello")?.text == "hello")
    }

    @Test func connectionCloseIsHonoured() throws {
        let t = try TestServer()
        let c = try t.client()
        let r = c.request("GET", "/hello", headers: ["Connection": "close"])
        #expect(r?.header("Connection") == "close")
        #expect(c.isClosedByServer())
    }

    @Test func aSlowClientDoesNotBlockOthersAndTimesOutWith408() throws {
        let t = try TestServer(headerTimeout: 0.4)
        let slow = try t.client()
        slow.send("GET /hello HTTP/1.1\r\nX-Partial: ")
        let started = Date()
        for _ in 0..<5 {
            let other = try t.client()
            #expect(other.request("GET", "/hello")?.status == 200)
        }
        #expect(Date().timeIntervalSince(started) < 0.4, "others were served while the slow client stalled")
        let timedOut = slow.readResponse()
        #expect(timedOut?.status == 408)
        #expect(slow.isClosedByServer())
    }

    @Test func anIdleKeepAliveConnectionIsClosed() throws {
        let t = try TestServer(idleTimeout: 0.3)
        let c = try t.client()
        #expect(c.request("GET", "/hello")?.status == 200)
        #expect(c.isClosedByServer())
    }

    /// A pool job writes its answer and gives the socket back without waking the loop; the loop must still
    /// notice, and close the connection once it has idled its timeout (3 s here) after the answer: not before,
    /// and within the second the sweep takes to notice (counting from the dispatch instead made it 6 s).
    @Test func aConnectionAnsweredFromThePoolIsClosedWhenIdle() throws {
        let t = try TestServer(idleTimeout: 3)
        let c = try t.client(timeout: 10)
        for _ in 0..<50 { #expect(c.request("GET", "/slice-on-pool")?.status == 200) }
        let answered = Date()
        #expect(c.isClosedByServer())
        let idled = Date().timeIntervalSince(answered)
        #expect(idled > 2.9 && idled < 5, "closed \(idled) s after the last answer")
        #expect(eventually { t.server.metrics.openConnections == 0 })
    }

    /// Many clients on pool handlers at once, each keeping its connection: every answer arrives, on its own
    /// connection (the echo carries the client's and the request's number).
    @Test func poolAnswersReachTheirOwnConnections() throws {
        let t = try TestServer()
        let failures = Atomic<Int>(0)
        let port = t.port
        DispatchQueue.concurrentPerform(iterations: 16) { client in
            guard let c = try? RawHTTPClient(port: port) else {
                failures.add(1, ordering: .relaxed)
                return
            }
            for n in 0..<100 {
                let body = Array("\(client)/\(n)".utf8)
                if c.request("POST", "/echo", body: body)?.body != body { failures.add(1, ordering: .relaxed) }
            }
        }
        #expect(failures.load(ordering: .relaxed) == 0)
    }

    /// The socket changes hands between a loop and the jobs in every order this can make: answers of random
    /// duration, requests pipelined behind one on a pool (the job must hand back), requests arriving while one
    /// runs (the loop waits for the socket), and clients leaving with a request running. Every answer must
    /// arrive once, whole, in order, on its own connection, and nothing may stay open.
    @Test func theSocketChangesHandsSafelyUnderConcurrentTraffic() throws {
        let t = try TestServer()
        let port = t.port
        let failures = Atomic<Int>(0)
        DispatchQueue.concurrentPerform(iterations: 8) { client in
            var c = try? RawHTTPClient(port: port)
            for n in 0..<150 {
                guard let connection = c else { break }
                let id = "\(client)-\(n)"
                var expected: [String] = []
                switch n % 4 {
                case 0:
                    connection.send("GET /jitter/\(id) HTTP/1.1\r\n\r\n")
                    expected = [id]
                case 1:
                    connection.send("GET /jitter/\(id)a HTTP/1.1\r\n\r\nGET /jitter/\(id)b HTTP/1.1\r\n\r\nGET /hello HTTP/1.1\r\n\r\n")
                    expected = [id + "a", id + "b", "hello"]
                case 2:
                    connection.send("GET /jitter/\(id)a HTTP/1.1\r\n\r\n")
                    usleep(UInt32.random(in: 0...300))
                    connection.send("GET /jitter/\(id)b HTTP/1.1\r\n\r\n")
                    expected = [id + "a", id + "b"]
                default:
                    connection.send("GET /jitter/\(id) HTTP/1.1\r\n\r\n")
                    c = try? RawHTTPClient(port: port)  // the old one closes with its request running
                    continue
                }
                for want in expected where connection.readResponse()?.text != want { failures.add(1, ordering: .relaxed) }
            }
            if c == nil { failures.add(1, ordering: .relaxed) }
        }
        #expect(failures.load(ordering: .relaxed) == 0)
        #expect(eventually { t.server.metrics.openConnections == 0 })
    }

    @Test func aClientLeavingDuringAJobLeavesNoConnectionOpen() throws {
        let t = try TestServer()
        for _ in 0..<3 {
            let c = try t.client()
            c.send("GET /slow HTTP/1.1\r\n\r\n")
        }
        #expect(eventually { t.server.metrics.openConnections == 0 })
        #expect(try t.client().request("GET", "/slice-on-pool")?.status == 200)
    }

    /// When the drain ends before a job does, the loop lets go of the connection but not of its socket: the job
    /// still answers, then closes it. Were the socket closed under the job, the files opened meanwhile would
    /// take its number and the answer would land in one of them.
    @Test func aJobOutlivingTheDrainAnswersAndClosesItsOwnSocket() throws {
        let t = try TestServer()
        let c = try t.client()
        c.send("GET /slow HTTP/1.1\r\n\r\n")
        #expect(eventually { t.server.metrics.openConnections == 1 })
        let server = t.server
        let stopped = DispatchSemaphore(value: 0)
        Thread {
            server.shutdown(drainTimeout: 0.05)
            stopped.signal()
        }.start()
        usleep(150_000)  // the loops have stopped; the job sleeps until 300 ms
        let directory = temporaryDirectory()
        let files = (0..<16).map { n in open("\(directory)/\(n)", O_CREAT | O_RDWR, 0o600) }
        stopped.wait()
        let r = c.readResponse()
        #expect(r?.text == "slow done")
        #expect(r?.header("Connection") == "close")
        #expect(c.isClosedByServer())
        for (n, fd) in files.enumerated() {
            #expect(lseek(fd, 0, SEEK_END) == 0, "file \(n) was written to")
            Glibc.close(fd)
        }
    }

    @Test func pastTheConnectionCapTheServerAnswers503AndKeepsServing() throws {
        let t = try TestServer(maxConnections: 3)
        let held = try (0..<3).map { _ in try t.client() }
        for c in held { #expect(c.request("GET", "/hello")?.status == 200) }
        let refused = try t.client()
        let answer = refused.readResponse()
        #expect(answer?.status == 503)
        #expect(answer?.json["error"] != nil)
        #expect(answer?.header("Retry-After") == "1")
        #expect(t.server.metrics.refusedConnections == 1)
        #expect(t.server.metrics.highWaterMark == 3)
        // The held connections still work, and a freed slot is usable again.
        #expect(held[0].request("GET", "/hello", headers: ["Connection": "close"])?.status == 200)
        #expect(eventually { t.server.metrics.openConnections == 2 })
        #expect(try t.client().request("GET", "/hello")?.status == 200)
    }

    @Test func oversizedHeadAndBodyAreRefused() throws {
        let t = try TestServer()
        let c1 = try t.client()
        c1.send("GET /hello HTTP/1.1\r\nX-Big: " + String(repeating: "a", count: 20_000) + "\r\n\r\n")
        #expect(c1.readResponse()?.status == 431)
        let c2 = try t.client()
        let r = c2.request("POST", "/echo", body: [UInt8](repeating: 1, count: 1024 * 1024 + 1))
        #expect(r?.status == 413)
        #expect(r?.json["error"] as? [String: String] == ["code": "body_too_large", "message": "request body exceeds 1048576 bytes"])
        let c3 = try t.client()
        #expect(c3.request("POST", "/echo", body: [UInt8](repeating: 7, count: 1024 * 1024))?.body.count == 1024 * 1024)
    }

    @Test func expectContinueGetsAnInterimResponse() throws {
        let t = try TestServer()
        let c = try t.client()
        c.send("POST /echo HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n")
        #expect(c.readResponse()?.status == 100)
        c.send("12345")
        #expect(c.readResponse()?.text == "12345")
    }

    @Test func chunkedBodiesArrive() throws {
        let t = try TestServer()
        let c = try t.client()
        c.send("POST /echo HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nWiki\r\n5\r\npedia\r\n0\r\n\r\n")
        #expect(c.readResponse()?.text == "Wikipedia")
    }

    @Test func headHasHeadersButNoBody() throws {
        let t = try TestServer()
        let c = try t.client()
        let r = c.request("HEAD", "/hello")
        #expect(r?.status == 200 && r?.body.isEmpty == true && r?.header("Content-Length") == "5")
        #expect(c.request("GET", "/hello")?.text == "hello")
    }

    @Test func unknownPathsMethodsAndFailuresGetJSONErrors() throws {
        let t = try TestServer()
        let c = try t.client()
        let missing = c.request("POST", "/nowhere")
        #expect(missing?.status == 404)
        let wrongMethod = c.request("DELETE", "/hello")
        #expect(wrongMethod?.status == 405 && wrongMethod?.header("Allow") == "GET, HEAD")
        let failed = c.request("GET", "/fail")
        #expect(failed?.status == 500)
        #expect(failed?.text.contains("fileNoSuchFile") == false)
        #expect((failed?.json["error"] as? [String: String])?["code"] == "internal")
    }

    /// Each answer a handler made is timed under its route (as registered, so a route with parameters is one
    /// series however many paths it serves, and requests no route matches share one) and where its handler ran;
    /// a request too malformed to reach a handler is counted by its status only.
    @Test func requestDurationsAreCountedByRoute() throws {
        let t = try TestServer()
        let c = try t.client()
        for _ in 0..<3 { #expect(c.request("GET", "/hello")?.status == 200) }
        for _ in 0..<2 { #expect(c.request("GET", "/nap")?.status == 200) }
        for id in ["1", "2", "three"] { #expect(c.request("GET", "/items/\(id)")?.status == 200) }
        for path in ["/nowhere", "/nowhere/else"] { #expect(c.request("POST", path)?.status == 404) }
        let malformed = try t.client()
        malformed.send("NOT HTTP\r\n\r\n")
        #expect(malformed.readResponse()?.status == 400)
        let nap = RouteKey(route: "GET /nap", placement: .computePool)
        // A pool job counts after its write, so its answer can arrive first.
        #expect(eventually { t.server.metrics.requestDurations[nap]?.count == 2 })
        let counts = t.server.metrics.requestDurations.mapValues(\.count)
        #expect(counts == [
            RouteKey(route: "GET /hello", placement: .eventLoop): 3, nap: 2,
            RouteKey(route: "GET /items/{id}", placement: .eventLoop): 3, RouteKey(route: "unmatched", placement: .eventLoop): 2,
        ])
        let napped = try #require(t.server.metrics.requestDurations[nap])
        #expect(napped.sum >= 0.06)
        // 30 ms each: none counted at or below a bound under that.
        for (bound, count) in zip(DurationHistogram.bounds, napped.counts) where bound < 0.03 { #expect(count == 0, "\(bound)") }
        #expect(t.server.metrics.requestsByStatus == [200: 8, 404: 2, 400: 1])
    }

    /// A request's time counts from its arrival in the kernel, not from when its loop got to read it: a request
    /// sent while its only loop is held 200 ms is counted with that wait, on a plain socket.
    @Test func requestDurationsCountTheWaitInTheSocket() throws {
        let t = try TestServer(eventLoops: 1)
        let (holder, waiter) = (try t.client(), try t.client())
        let (item, waited) = try Self.timeBehindAHeldLoop(t, holder: Exchange(holder), waiter: Exchange(waiter))
        #expect(item.sum > 0.1 && item.sum <= waited + 0.01, "counted \(item.sum) s; the client waited \(waited) s")
    }

    /// Over TLS, whose reads carry no arrival stamp, the same request counts from its read.
    @Test func overTLSRequestDurationsCountFromTheRead() throws {
        let t = try TestServer(tls: try TLSServerTests.makeContext(), eventLoops: 1)
        let fds = try (0..<2).map { _ in try Socket.connect(SocketAddress(host: "127.0.0.1", port: t.port)) }
        defer { fds.forEach { $0.close() } }
        let sides = try fds.map { Exchange(try TLSClient(fd: $0.rawValue, serverName: "localhost")) }
        let (item, _) = try Self.timeBehindAHeldLoop(t, holder: sides[0], waiter: sides[1])
        #expect(item.sum < 0.05, "counted \(item.sum) s")
    }

    /// One side of a connection to a test server: sends a request, reads until an answer ends in a text.
    struct Exchange {
        let send: (String) -> Void
        let receive: (String) -> Bool

        init(_ client: RawHTTPClient) {
            (send, receive) = ({ client.send($0) }, { client.readResponse()?.text == $0 })
        }

        init(_ client: TLSClient) {
            send = { _ = client.write(Array($0.utf8)) }
            receive = { text in String(decoding: client.read { String(decoding: $0, as: UTF8.self).hasSuffix(text) }, as: UTF8.self).hasSuffix(text) }
        }
    }

    /// `holder` asks for `/hold`, which holds the server's one loop for 200 ms; 50 ms later `waiter` asks for
    /// `/items/1`. Returns that route's durations as the server counted them, and how long the waiter waited.
    private static func timeBehindAHeldLoop(_ t: TestServer, holder: Exchange, waiter: Exchange) throws -> (DurationHistogram, Double) {
        // Each connection served once first, so that what the waiter waits for below is the held loop alone.
        for side in [holder, waiter] {
            side.send("GET /hello HTTP/1.1\r\nHost: t\r\n\r\n")
            #expect(side.receive("hello"))
        }
        holder.send("GET /hold HTTP/1.1\r\nHost: t\r\n\r\n")
        usleep(50_000)
        let sent = monotonicSeconds()
        waiter.send("GET /items/1 HTTP/1.1\r\nHost: t\r\n\r\n")
        #expect(waiter.receive("item 1"))
        let waited = monotonicSeconds() - sent
        #expect(holder.receive("held"))
        #expect(waited > 0.1, "the loop was not held, so there was no wait to count")
        let item = try #require(t.server.metrics.requestDurations[RouteKey(route: "GET /items/{id}", placement: .eventLoop)])
        #expect(item.count == 1)
        return (item, waited)
    }

    /// The buckets hold their upper bound (Prometheus's `le`), and what is past the last goes to the extra one.
    @Test func aDurationFallsInTheFirstBucketWhoseBoundHoldsIt() {
        var histogram = DurationHistogram()
        for seconds in [0.0, 0.0001, 0.00010001, 0.0015, 0.002, 0.0021, 10, 10.5] { histogram.record(seconds) }
        let bounds = DurationHistogram.bounds
        var expected = [Int](repeating: 0, count: bounds.count + 1)
        for index in [0, 0, 1, 4, 5, 6, bounds.count - 1, bounds.count] { expected[index] += 1 }
        #expect(bounds[0] == 0.0001 && bounds[1] == 0.00025 && bounds[4] == 0.0015 && bounds[5] == 0.002 && bounds[6] == 0.005 && bounds.last == 10)
        #expect(histogram.counts == expected && histogram.count == 8)
        #expect(abs(histogram.sum - 20.50580001) < 1e-9)
        let doubled = histogram + histogram
        #expect(doubled.counts == expected.map { $0 * 2 } && abs(doubled.sum - 2 * histogram.sum) < 1e-9)
    }

    @Test func shutdownDrainsInFlightRequestsAndStopsAccepting() throws {
        let t = try TestServer()
        let c = try t.client()
        c.send("GET /slow HTTP/1.1\r\n\r\n")
        #expect(eventually { t.server.metrics.openConnections == 1 })
        usleep(50_000)
        let server = t.server
        let stopper = Thread { server.shutdown(drainTimeout: 5) }
        stopper.start()
        let r = c.readResponse()
        #expect(r?.text == "slow done")
        #expect(r?.header("Connection") == "close")
        #expect(eventually { (try? RawHTTPClient(port: t.port)) == nil })
    }

    @Test func bothEventLoopsServe() throws {
        let t = try TestServer()
        let clients = try (0..<8).map { _ in try t.client() }
        for c in clients { #expect(c.request("GET", "/hello")?.status == 200) }
    }
}

@Suite struct StaticFileTests {
    static func server() throws -> TestServer {
        let t = try TestServer()
        try "<!doctype html><title>x</title>".write(toFile: t.publicDirectory + "/index.html", atomically: true, encoding: .utf8)
        try "body{}".write(toFile: t.publicDirectory + "/app.css", atomically: true, encoding: .utf8)
        try "secret".write(toFile: t.publicDirectory + "/.env", atomically: true, encoding: .utf8)
        try "outside".write(toFile: t.publicDirectory + "/../outside-\(t.port).txt", atomically: true, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: t.publicDirectory + "/link.txt", withDestinationPath: "/etc/passwd")
        return t
    }

    @Test func filesAreServedWithTypesEtagsAndPolicy() throws {
        let t = try Self.server()
        let c = try t.client()
        let index = c.request("GET", "/")
        #expect(index?.status == 200 && index?.header("Content-Type") == "text/html; charset=utf-8")
        #expect(index?.header("Content-Security-Policy")?.contains("script-src 'self'") == true)
        let css = c.request("GET", "/app.css")
        #expect(css?.header("Content-Type") == "text/css; charset=utf-8" && css?.text == "body{}")
        let etag = try #require(css?.header("ETag"))
        let again = c.request("GET", "/app.css", headers: ["If-None-Match": etag])
        #expect(again?.status == 304 && again?.body.isEmpty == true)
        try "body{color:red}".write(toFile: t.publicDirectory + "/app.css", atomically: true, encoding: .utf8)
        // A changed file is served within the one second a cached copy is trusted.
        #expect(eventually(within: 3) {
            let changed = c.request("GET", "/app.css", headers: ["If-None-Match": etag])
            return changed?.status == 200 && changed?.text == "body{color:red}"
        })
    }

    @Test(arguments: [
        "/../outside.txt", "/%2e%2e/outside.txt", "/..%2foutside.txt", "/%2E%2E%2Foutside.txt", "/.env", "/%2eenv",
        "/link.txt", "/a/../../outside.txt", "/..\\outside.txt", "/%00index.html", "/index.html%00.css",
    ])
    func pathsCannotEscapeTheRoot(path: String) throws {
        let t = try Self.server()
        let c = try t.client()
        let r = c.request("GET", path.replacingOccurrences(of: "outside.txt", with: "outside-\(t.port).txt"))
        #expect(r?.status == 404, "\(path)")
    }
}

@Suite struct TLSServerTests {
    /// A self-signed certificate made by the `openssl` command for this test.
    static func makeContext() throws -> TLSContext {
        let dir = temporaryDirectory()
        let (status, _) = try run("/usr/bin/openssl", [
            "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", "\(dir)/key.pem", "-out", "\(dir)/cert.pem", "-days", "1", "-subj", "/CN=localhost",
        ])
        #expect(status == 0)
        return try TLSContext(certificateFile: "\(dir)/cert.pem", keyFile: "\(dir)/key.pem")
    }

    @Test func curlCompletesRequestsOverTLS() throws {
        let t = try TestServer(tls: try Self.makeContext())
        let (status, body) = try run("/usr/bin/curl", ["-sk", "--http1.1", "https://127.0.0.1:\(t.port)/hello", "https://127.0.0.1:\(t.port)/items/7"])
        #expect(status == 0)
        #expect(body == "helloitem 7")
        let (postStatus, echoed) = try run("/usr/bin/curl", ["-sk", "--data-binary", "tls body", "https://127.0.0.1:\(t.port)/echo"])
        #expect(postStatus == 0 && echoed == "tls body")
    }

    @Test func ourClientKeepsAliveAndPipelinesOverTLS() throws {
        let t = try TestServer(tls: try Self.makeContext())
        let fd = try Socket.connect(SocketAddress(host: "127.0.0.1", port: t.port))
        defer { fd.close() }
        let client = try TLSClient(fd: fd.rawValue, serverName: "localhost")
        #expect(client.write(Array("GET /hello HTTP/1.1\r\n\r\nPOST /echo HTTP/1.1\r\nContent-Length: 3\r\n\r\nxyz".utf8)))
        let received = String(decoding: client.read { String(decoding: $0, as: UTF8.self).hasSuffix("xyz") }, as: UTF8.self)
        #expect(received.hasPrefix("HTTP/1.1 200 OK") && received.contains("\r\n\r\nhello") && received.hasSuffix("xyz"))
    }

    @Test func plainHTTPToTheTLSPortFailsCleanly() throws {
        let t = try TestServer(tls: try Self.makeContext())
        let c = try t.client(timeout: 2)
        c.send("GET /hello HTTP/1.1\r\n\r\n")
        #expect(c.readResponse() == nil)
        let (status, body) = try run("/usr/bin/curl", ["-sk", "https://127.0.0.1:\(t.port)/hello"])
        #expect(status == 0 && body == "hello")
    }
}
