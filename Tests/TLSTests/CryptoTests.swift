import Foundation
import Testing
import TestSupport

@testable import TLS

@Suite struct CryptoTests {
    /// FIPS 180-2 appendix B.1.
    @Test func sha256MatchesTheStandardVector() {
        #expect(Crypto.hex(Crypto.sha256(Array("abc".utf8))) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    /// RFC 7914 section 11, PBKDF2-HMAC-SHA256 with P="passwd", S="salt", c=1, dkLen=64.
    @Test func pbkdf2MatchesRFC7914() {
        let derived = Crypto.pbkdf2SHA256(password: "passwd", salt: Array("salt".utf8), iterations: 1, length: 64)
        #expect(Crypto.hex(derived) == "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc49ca9cccf179b645991664b39d77ef317c71b845b1e30bd509112041d3a19783")
    }

    /// Python's hashlib is an independent implementation of the same KDF.
    @Test func pbkdf2AgreesWithPythonAtFullStrength() throws {
        let salt = Crypto.randomBytes(16)
        let ours = Crypto.hex(Crypto.pbkdf2SHA256(password: "pässword", salt: salt, iterations: 600_000))
        let (status, python) = try run("/usr/bin/env", [
            "python3", "-c",
            "import hashlib,sys;print(hashlib.pbkdf2_hmac('sha256','pässword'.encode(),bytes.fromhex(sys.argv[1]),600000).hex())",
            Crypto.hex(salt),
        ])
        #expect(status == 0)
        #expect(python.trimmingCharacters(in: .whitespacesAndNewlines) == ours)
    }

    @Test func randomStringsUseTheAlphabetAndDoNotRepeat() {
        let alphabet = Array("abcdefghijklmnopqrstuvwxyz0123456789")
        let samples = (0..<200).map { _ in Crypto.randomString(length: 32, alphabet: alphabet) }
        #expect(Set(samples).count == 200)
        #expect(samples.allSatisfy { $0.count == 32 && $0.allSatisfy(alphabet.contains) })
        // Every symbol shows up across 6,400 draws; a biased or stuck generator would miss some.
        #expect(Set(samples.joined()).count == 36)
    }

    @Test func constantTimeEqualityCompares() {
        #expect(Crypto.constantTimeEquals([1, 2, 3], [1, 2, 3]))
        #expect(!Crypto.constantTimeEquals([1, 2, 3], [1, 2, 4]))
        #expect(!Crypto.constantTimeEquals([1, 2, 3], [1, 2]))
        #expect(Crypto.constantTimeEquals([], []))
    }

    @Test func hexRoundTrips() {
        let bytes = Crypto.randomBytes(33)
        #expect(Crypto.unhex(Crypto.hex(bytes)) == bytes)
        #expect(Crypto.unhex("abc") == nil && Crypto.unhex("zz") == nil)
    }

    @Test func aMismatchedKeyIsReported() throws {
        let dir = temporaryDirectory()
        for name in ["a", "b"] {
            try run("/usr/bin/openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "\(dir)/\(name).key",
                "-out", "\(dir)/\(name).pem", "-days", "1", "-subj", "/CN=localhost"])
        }
        #expect(throws: TLSError.self) { try TLSContext(certificateFile: "\(dir)/a.pem", keyFile: "\(dir)/b.key") }
        #expect(throws: TLSError.self) { try TLSContext(certificateFile: "\(dir)/missing.pem", keyFile: "\(dir)/a.key") }
        _ = try TLSContext(certificateFile: "\(dir)/a.pem", keyFile: "\(dir)/a.key")
    }
}
