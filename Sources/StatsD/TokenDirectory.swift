import Foundation
import Synchronization
import Posix
import TLS

/// Finds the tenant of an ingest token. After a token has been seen once, finding its tenant is a dictionary
/// lookup in the receiving thread's own copy (`TokenCache`): no lock, no SQLite query, no SHA-256.
///
/// The directory keeps the digests of every live token, reloaded every `refreshInterval` (so a token issued or
/// revoked by another process works or stops within that time) and at once when this process issues or revokes
/// one. A token not seen before costs one SHA-256 against those digests;
/// unknown ones go into a bounded negative cache, so a flood of made-up tokens costs neither memory nor queries.
public final class TokenDirectory: Sendable {
    public typealias Loader = @Sendable () throws -> [[UInt8]: String]

    private struct State {
        var digests: [[UInt8]: String] = [:]
        var known: [String: String] = [:]
        var unknown: Set<String> = []
        var version = 0
        /// The ticket of the newest load applied: a load that began earlier never overwrites it.
        var appliedLoad = 0
    }

    private let load: Loader
    private let state = Mutex(State())
    private let published = Atomic<Int>(0)
    private let loadTickets = Atomic<Int>(0)
    public let negativeCapacity: Int

    public init(negativeCapacity: Int = 100_000, load: @escaping Loader) {
        self.load = load
        self.negativeCapacity = negativeCapacity
    }

    private let refresher = Mutex<(stop: Bool, done: DispatchSemaphore?)>((false, nil))

    /// Reloads every `interval` seconds on a thread of its own (after a first load now), until `stopRefreshing`.
    public func startRefreshing(every interval: Double, onError: @escaping @Sendable (Error) -> Void) {
        do { try refresh() } catch { onError(error) }
        let done = DispatchSemaphore(value: 0)
        refresher.withLock { $0 = (false, done) }
        startThread(named: "token-refresh") { [self] in
            var next = monotonicSeconds() + interval
            while !refresher.withLock({ $0.stop }) {
                if monotonicSeconds() < next { usleep(50_000); continue }
                do { try refresh() } catch { onError(error) }
                next = monotonicSeconds() + interval
            }
            done.signal()
        }
    }

    public func stopRefreshing() {
        let done = refresher.withLock { state -> DispatchSemaphore? in
            state.stop = true
            return state.done
        }
        done?.wait()
    }

    /// Reloads the live tokens; drops cached tokens that were revoked and forgets unknown ones (they may be new).
    /// Loads may overlap (the periodic one and one after an issue); the one that began last wins.
    public func refresh() throws {
        let ticket = loadTickets.add(1, ordering: .relaxed).newValue
        let digests = try load()
        state.withLock { s in
            guard ticket > s.appliedLoad else { return }
            s.appliedLoad = ticket
            let before = s.known.count
            s.digests = digests
            s.known = s.known.filter { digests[Crypto.sha256(Array($0.key.utf8))] == $0.value }
            s.unknown.removeAll(keepingCapacity: true)
            if s.known.count != before { s.version += 1 }
            published.store(s.version, ordering: .releasing)
        }
    }

    /// Tokens are 26 to 64 characters of `[a-z0-9]`; anything else is not worth a hash.
    static func looksLikeToken(_ token: Substring) -> Bool {
        let bytes = token.utf8
        return bytes.count >= 26 && bytes.count <= 64 && bytes.allSatisfy { ($0 >= 97 && $0 <= 122) || ($0 >= 48 && $0 <= 57) }
    }

    /// The tenant of `token`, resolving and caching it. Nil for an unknown or revoked token.
    public func tenant(for token: Substring) -> String? { resolve(token) }

    func resolve(_ token: Substring) -> String? {
        guard Self.looksLikeToken(token) else { return nil }
        let text = String(token)
        return state.withLock { s in
            if let tenant = s.known[text] { return tenant }
            if s.unknown.contains(text) { return nil }
            guard let tenant = s.digests[Crypto.sha256(Array(text.utf8))] else {
                if s.unknown.count >= negativeCapacity { s.unknown.removeAll(keepingCapacity: true) }
                s.unknown.insert(text)
                return nil
            }
            s.known[text] = tenant
            return tenant
        }
    }

    var version: Int { published.load(ordering: .acquiring) }

    func snapshot() -> (version: Int, known: [String: String]) {
        state.withLock { ($0.version, $0.known) }
    }
}

/// One receiving thread's copy of the known tokens; it re-copies only when the directory's version moved.
public struct TokenCache {
    private let directory: TokenDirectory
    private var version = -1
    private var known: [String: String] = [:]

    public init(directory: TokenDirectory) { self.directory = directory }

    /// Call once per batch of lines: picks up revocations.
    public mutating func sync() {
        if directory.version != version { (version, known) = directory.snapshot() }
    }

    public mutating func tenant(for token: Substring) -> String? {
        if let tenant = known[String(token)] { return tenant }
        guard let tenant = directory.resolve(token) else { return nil }
        known[String(token)] = tenant
        return tenant
    }
}
