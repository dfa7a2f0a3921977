import Testing
import TestSupport

@testable import HTTP

/// Feeds `input` in the given pieces and collects every event until the parser needs more.
private func parse(_ pieces: [[UInt8]], limits: ParserLimits = ParserLimits()) throws(HTTPError) -> [ParserEvent] {
    var parser = RequestParser(limits: limits)
    var events: [ParserEvent] = []
    for piece in pieces {
        parser.append(piece)
        while let event = try parser.next() { events.append(event) }
    }
    return events
}

private func requests(_ events: [ParserEvent]) -> [Request] {
    events.compactMap { if case .request(let r) = $0 { r } else { nil } }
}

private func bytes(_ s: String) -> [UInt8] { Array(s.utf8) }

@Suite struct RequestParserTests {
    static let pipelined = bytes(
        "POST /api/v1/ingest?x=1 HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\n\r\nhello world"
            + "GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n"
            + "PUT /c HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nTrailer: x\r\n\r\n")

    static func checkPipelined(_ found: [Request]) {
        #expect(found.count == 3)
        guard found.count == 3 else { return }
        #expect(found[0].method == "POST" && found[0].path == "/api/v1/ingest" && found[0].query("x") == "1")
        #expect(found[0].body == bytes("hello world"))
        #expect(found[1].method == "GET" && found[1].target == "/healthz" && found[1].body.isEmpty)
        #expect(found[2].method == "PUT" && found[2].body == bytes("hello world"))
    }

    @Test func everySplitIntoTwoYieldsTheSameRequests() throws {
        let input = Self.pipelined
        for cut in 0...input.count {
            Self.checkPipelined(requests(try parse([Array(input[..<cut]), Array(input[cut...])])))
        }
    }

    @Test func byteAtATimeYieldsTheSameRequests() throws {
        Self.checkPipelined(requests(try parse(Self.pipelined.map { [$0] })))
    }

    @Test func everySplitIntoThreeOfAChunkedBody() throws {
        let input = bytes("POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\nA\r\n0123456789\r\n0\r\n\r\n")
        for a in stride(from: 0, through: input.count, by: 3) {
            for b in a...input.count {
                let found = requests(try parse([Array(input[..<a]), Array(input[a..<b]), Array(input[b...])]))
                #expect(found.count == 1 && found.first?.body == bytes("abc0123456789"))
            }
        }
    }

    @Test func headersAreTrimmedAndCaseInsensitive() throws {
        let found = requests(try parse([bytes("GET / HTTP/1.1\r\nX-Thing:   spaced value \t\r\ncookie: a=1; tw_session=abc\r\n\r\n")]))
        #expect(found.first?.header("x-thing") == "spaced value")
        #expect(found.first?.cookie("tw_session") == "abc")
    }

    @Test func bareLineFeedsAndLeadingBlankLinesAreAccepted() throws {
        let found = requests(try parse([bytes("\r\n\r\nGET /a HTTP/1.1\nHost: x\n\n")]))
        #expect(found.first?.target == "/a")
    }

    @Test func keepAliveDefaultsByVersion() throws {
        let found = requests(try parse([bytes("GET / HTTP/1.0\r\n\r\nGET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET / HTTP/1.1\r\nConnection: close\r\n\r\nGET / HTTP/1.1\r\n\r\n")]))
        #expect(found.map(\.wantsKeepAlive) == [false, true, false, true])
    }

    @Test func expectContinueIsAnnouncedOnceBeforeTheBody() throws {
        var parser = RequestParser()
        parser.append(bytes("POST /x HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n"))
        guard case .expectsContinue? = try parser.next() else { Issue.record("no continue"); return }
        #expect(try parser.next() == nil)
        parser.append(bytes("abc"))
        guard case .request(let r)? = try parser.next() else { Issue.record("no request"); return }
        #expect(r.body == bytes("abc"))
    }

    @Test(arguments: [
        ("GARBAGE\r\n\r\n", 400),
        ("GET /\r\n\r\n", 400),
        ("GET  / HTTP/1.1\r\n\r\n", 400),
        ("GET / HTTP/2.0\r\n\r\n", 505),
        ("GET / FTP/1.1\r\n\r\n", 400),
        ("G(T / HTTP/1.1\r\n\r\n", 400),
        ("GET nopath HTTP/1.1\r\n\r\n", 400),
        ("GET /\u{7f} HTTP/1.1\r\n\r\n", 400),
        ("GET / HTTP/1.1\r\nNo colon here\r\n\r\n", 400),
        ("GET / HTTP/1.1\r\nBad Name: x\r\n\r\n", 400),
        ("GET / HTTP/1.1\r\n: empty\r\n\r\n", 400),
        ("POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n", 400),
        ("POST / HTTP/1.1\r\nContent-Length: 12x\r\n\r\n", 400),
        ("POST / HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n", 400),
        ("POST / HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n", 400),
        ("POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n", 501),
        ("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 400),
        // Signs and inner spaces are no chunk size (a negative one once stopped the server).
        ("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n-5\r\n", 400),
        ("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n+5\r\nhello\r\n0\r\n\r\n", 400),
        ("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n1 0\r\n", 400),
        ("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcdef\r\n", 400),
        ("POST / HTTP/1.1\r\nContent-Length: 1048577\r\n\r\n", 413),
    ])
    func malformedRequestsAreRefusedWithTheirStatus(input: String, status: Int) {
        do {
            _ = try parse([bytes(input)])
            Issue.record("accepted: \(input.debugDescription)")
        } catch {
            #expect(error.status == status, "\(input.debugDescription)")
        }
    }

    /// Seeded random edits of valid pipelined requests (signs, digits, separators and line ends put in, bytes
    /// dropped and doubled), fed in two pieces: every one ends in requests or an HTTPError, never a trap.
    @Test func mutatedRequestsAreParsedOrRefusedNeverATrap() {
        let seeds = [
            String(decoding: Self.pipelined, as: UTF8.self), "POST /c HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
            "POST /b?x=%41 HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\nhi",
        ]
        var cuts = SeededRandom(state: 1)
        let parsed = acceptedMutations(of: seeds, alphabet: "-+0123456789abcdefABCDEF ;:,\t\r\n\u{0}%?#/.", count: 30_000, seed: 20_261_122) { input in
            let cut = Int(cuts.next() % UInt64(input.count + 1))
            return (try? parse([Array(input[..<cut]), Array(input[cut...])])) != nil
        }
        #expect(parsed > 3_000 && parsed < 28_000, "\(parsed) of 30,000 parsed")
    }

    @Test func anOversizedHeadIsRefusedWith431EvenBeforeItEnds() {
        let huge = "GET / HTTP/1.1\r\nX-Big: " + String(repeating: "a", count: 17 * 1024)
        #expect(throws: HTTPError.self) { try parse([bytes(huge)]) }
        do { _ = try parse([bytes(huge)]) } catch { #expect(error.status == 431) }
        // A head just under the limit is fine.
        let fits = "GET / HTTP/1.1\r\nX-Big: " + String(repeating: "a", count: 16 * 1024 - 100) + "\r\n\r\n"
        #expect((try? parse([bytes(fits)]))?.count == 1)
    }

    @Test func anOversizedChunkedBodyIsRefusedWith413() {
        var limits = ParserLimits()
        limits.maxBodyBytes = 10
        do {
            _ = try parse([bytes("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n6\r\nabcdef\r\n6\r\nabcdef\r\n0\r\n\r\n")], limits: limits)
            Issue.record("accepted")
        } catch { #expect(error.status == 413) }
    }

    @Test func tooManyHeadersAreRefused() {
        let head = "GET / HTTP/1.1\r\n" + (0..<101).map { "X-\($0): y\r\n" }.joined() + "\r\n"
        do { _ = try parse([bytes(head)]); Issue.record("accepted") } catch { #expect(error.status == 431) }
    }

    @Test func absoluteFormTargetsAreReducedToTheirPath() throws {
        #expect(requests(try parse([bytes("GET http://example.com/a/b?c=d HTTP/1.1\r\n\r\n")])).first?.target == "/a/b?c=d")
    }

    @Test func queryItemsAreDecodedInOrderWithRepeats() {
        let r = Request(method: "GET", target: "/render?target=a.b&target=sum(c.%2A)&from=-1h&x=a+b&bad=%zz")
        #expect(r.queryItems.map(\.0) == ["target", "target", "from", "x", "bad"])
        #expect(r.queryItems.map(\.1) == ["a.b", "sum(c.*)", "-1h", "a b", "%zz"])
        let odd = Request(method: "GET", target: "/x?&é=ü&&flag&=v&k=a=b&%C3%A9=%C3%BC#")
        #expect(odd.queryItems.map(\.0) == ["é", "flag", "", "k", "é"])
        #expect(odd.queryItems.map(\.1) == ["ü", "", "v", "a=b", "ü#"])
    }
}

extension ParserEvent: Equatable {
    public static func == (a: ParserEvent, b: ParserEvent) -> Bool {
        switch (a, b) {
        case (.expectsContinue, .expectsContinue): true
        case (.request(let x), .request(let y)): x.target == y.target && x.body == y.body
        default: false
        }
    }
}


@Suite struct RequestTests {
    /// RFC 6750's `Authorization: Bearer <token>`, the scheme in any case, spaces around the token dropped.
    @Test func bearerTokensAreReadWhateverTheSchemesCase() {
        func token(_ value: String?) -> String? {
            Request(method: "GET", target: "/", headers: value.map { [Header("Authorization", $0)] } ?? []).bearerToken
        }
        #expect(token("Bearer abc") == "abc" && token("bearer abc") == "abc" && token("BEARER \tabc ") == "abc")
        #expect(token("Bearer é1") == "é1")
        #expect(token("Basic abc") == nil && token("Bearerabc") == nil && token("Bearer") == nil && token("Bearer ") == nil)
        #expect(token(nil) == nil)
    }
}
