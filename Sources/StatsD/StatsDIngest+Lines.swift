import Glibc
import Whisper

extension StatsDIngest {
    /// Lines of one batch, routed to their tenants before anything is recorded.
    struct Routed {
        var lines: [String: [StatsDLine]] = [:]
        var badLines: [String: Int] = [:]
        var packets: [String: Int] = [:]
        /// Lines dropped over the lines-per-second quota before they were parsed.
        var dropped: [String: Int] = [:]
        var total = 0
        var bad = 0
        var unknown = 0
    }

    /// Processes a batch of StatsD packets (each holding newline-separated lines that start with a token):
    /// routes, checks quotas once per tenant, then records everything under one lock of `collector`.
    public func ingest(packets: [String], into collector: Collector, cache: inout TokenCache, quota: inout LocalQuota) {
        // One contiguous copy, sliced per packet, so every pointer is valid for the whole call.
        var bytes: [UInt8] = []
        var bounds: [Range<Int>] = []
        for packet in packets {
            let start = bytes.count
            bytes.append(contentsOf: packet.utf8)
            bounds.append(start..<bytes.count)
        }
        bytes.withUnsafeBytes { all in
            ingest(datagrams: bounds.map { UnsafeRawBufferPointer(rebasing: all[$0]) }, into: collector, cache: &cache, quota: &quota)
        }
    }

    /// The hot path, on raw bytes: lines are found with memchr-like scans, tokens compared byte for byte with the
    /// previous line's, and a tenant over its quota has its lines counted and dropped before any parsing.
    public func ingest(datagrams: [UnsafeRawBufferPointer], into collector: Collector, cache: inout TokenCache, quota: inout LocalQuota) {
        cache.sync()
        var routed = Routed()
        let second = now
        // Consecutive lines with the same token form a run: its tenant, quota lease and drops are kept in locals
        // and folded into `routed` once per run, so a flood costs a byte scan and a compare per line.
        var run = Run()
        for packet in datagrams {
            var seen: [String] = []
            var start = 0
            while start < packet.count {
                var end = start
                while end < packet.count && packet[end] != 10 { end += 1 }
                var lineEnd = end
                if lineEnd > start && packet[lineEnd - 1] == 13 { lineEnd -= 1 }
                let line = UnsafeRawBufferPointer(rebasing: packet[start..<lineEnd])
                start = end + 1
                guard !line.isEmpty else { continue }
                routed.total += 1
                guard let token = RawLine.token(line) else {
                    routed.bad += 1
                    continue
                }
                if run.token.map({ !RawLine.same($0, token) }) ?? true {
                    run.end(into: &routed, quota: &quota)
                    run = Run(token: token, tenant: cache.tenant(for: Substring(String(decoding: token, as: UTF8.self))))
                }
                guard let tenant = run.tenant else {
                    routed.unknown += 1
                    continue
                }
                if !seen.contains(tenant) { seen.append(tenant) }
                if run.allowance == 0 && !run.blocked {
                    run.allowance = quota.lease(tenant, second: second, from: limiter)
                    run.blocked = run.allowance == 0
                }
                guard run.allowance > 0 else {
                    run.dropped += 1
                    continue
                }
                run.allowance -= 1
                do {
                    run.lines.append(try StatsDLine.parse(Substring(String(decoding: line, as: UTF8.self))))
                } catch {
                    run.bad += 1
                }
            }
            run.end(into: &routed, quota: &quota)
            run = Run()
            for tenant in seen { routed.packets[tenant, default: 0] += 1 }
        }
        record(routed, packets: datagrams.count, into: collector, limited: true)
    }

    /// HTTP ingest: lines without a token prefix, for a tenant already known from the request's token.
    public func ingest(httpBody: String, tenant: String, into collector: Collector) -> (accepted: Int, bad: Int) {
        var routed = Routed()
        routed.packets[tenant] = 1
        for rawLine in httpBody.split(separator: "\n", omittingEmptySubsequences: true) {
            let line = rawLine.last == "\r" ? rawLine.dropLast() : rawLine
            guard !line.isEmpty else { continue }
            routed.total += 1
            do {
                routed.lines[tenant, default: []].append(try StatsDLine.parse(line, expectToken: false))
            } catch {
                routed.bad += 1
                routed.badLines[tenant, default: 0] += 1
            }
        }
        let dropped = record(routed, packets: 1, into: collector)
        return (routed.total - routed.bad - dropped, routed.bad)
    }

    /// Applies quotas and records a routed batch; returns how many lines were dropped over quota.
    /// `limited`: the lines were already held to the quota (and `routed.dropped` says how many were not).
    @discardableResult
    private func record(_ routed: Routed, packets: Int, into collector: Collector, limited: Bool = false) -> Int {
        let second = now
        var admitted: [String: ArraySlice<StatsDLine>] = [:]
        var droppedTotal = routed.dropped.values.reduce(0, +)
        for (tenant, lines) in routed.lines {
            let allowed = limited ? lines.count : limiter.admit(tenant, count: lines.count, now: second)
            admitted[tenant] = lines.prefix(allowed)
            droppedTotal += lines.count - allowed
        }
        var checks = 0, events = 0
        collector.buckets.withLock { buckets in
            for tenant in Set(routed.lines.keys).union(routed.badLines.keys).union(routed.packets.keys).union(routed.dropped.keys) {
                var bucket = buckets[tenant] ?? Bucket()
                let lines = routed.lines[tenant] ?? []
                let kept = admitted[tenant] ?? []
                for line in kept {
                    switch line {
                    case .metric(_, let key, let samples): for s in samples { bucket.record(key, s) }
                    case .serviceCheck: bucket.serviceChecks += 1; checks += 1
                    case .event: bucket.events += 1; events += 1
                    }
                }
                let bad = routed.badLines[tenant] ?? 0
                let early = routed.dropped[tenant] ?? 0
                bucket.lines += lines.count + bad + early
                bucket.badLines += bad
                bucket.droppedOverQuota += lines.count - kept.count + early
                bucket.packets += routed.packets[tenant] ?? 0
                buckets[tenant] = bucket
            }
        }
        stats.packets.add(packets, ordering: .relaxed)
        stats.lines.add(routed.total, ordering: .relaxed)
        stats.badLines.add(routed.bad, ordering: .relaxed)
        stats.unknownTokens.add(routed.unknown, ordering: .relaxed)
        stats.droppedOverQuota.add(droppedTotal, ordering: .relaxed)
        stats.serviceChecks.add(checks, ordering: .relaxed)
        stats.events.add(events, ordering: .relaxed)
        return droppedTotal
    }

    /// Graphite plaintext (SPEC 3.3): `<token>.<path> <value> <timestamp>` lines, stored as sent (no aggregation).
    public func ingest(graphite packets: [String], into collector: Collector, cache: inout TokenCache) {
        cache.sync()
        let now = self.now
        var points: [String: [(series: String, point: Point)]] = [:]
        var bad: [String: Int] = [:]
        var total = 0, badTotal = 0, unknown = 0
        for packet in packets {
            for rawLine in packet.split(separator: "\n", omittingEmptySubsequences: true) {
                let line = rawLine.last == "\r" ? rawLine.dropLast() : rawLine
                guard !line.isEmpty else { continue }
                total += 1
                guard let tenant = StatsDLine.tokenPrefix(line).flatMap({ cache.tenant(for: $0) }) else {
                    unknown += 1
                    continue
                }
                if let (series, point) = GraphiteLine.parse(line, now: now) {
                    points[tenant, default: []].append((series, point))
                } else {
                    bad[tenant, default: 0] += 1
                    badTotal += 1
                }
            }
        }
        var droppedTotal = 0
        var admitted: [String: Int] = [:]
        for (tenant, list) in points {
            let allowed = limiter.admit(tenant, count: list.count, now: now)
            admitted[tenant] = allowed
            droppedTotal += list.count - allowed
            storage.add(tenant: tenant, flush: Array(list.prefix(allowed)))
        }
        collector.buckets.withLock { buckets in
            for tenant in Set(points.keys).union(bad.keys) {
                var bucket = buckets[tenant] ?? Bucket()
                let count = points[tenant]?.count ?? 0
                bucket.lines += count + (bad[tenant] ?? 0)
                bucket.badLines += bad[tenant] ?? 0
                bucket.droppedOverQuota += count - (admitted[tenant] ?? 0)
                bucket.packets += 1
                buckets[tenant] = bucket
            }
        }
        stats.packets.add(packets.count, ordering: .relaxed)
        stats.lines.add(total, ordering: .relaxed)
        stats.badLines.add(badTotal, ordering: .relaxed)
        stats.unknownTokens.add(unknown, ordering: .relaxed)
        stats.droppedOverQuota.add(droppedTotal, ordering: .relaxed)
    }
}

extension StatsDLine {
    /// The token a line claims: what comes before the first `.` (after `_sc|` for a service check, after `:` for
    /// an event); a line without a `.` claims what comes before its first `:`, `|` or space.
    static func tokenPrefix(_ line: Substring) -> Substring? {
        var rest = line
        if rest.hasPrefix("_sc|") {
            rest = rest.dropFirst(4)
        } else if rest.hasPrefix("_e{"), let colon = rest.firstIndex(of: ":") {
            rest = rest[rest.index(after: colon)...]
        }
        let end = rest.firstIndex { $0 == "." || $0 == ":" || $0 == "|" || $0 == " " } ?? rest.endIndex
        return end > rest.startIndex ? rest[..<end] : nil
    }
}

/// One Graphite plaintext line: `<token>.<path> <value> <timestamp>`; a timestamp of `-1` or `N` means now.
enum GraphiteLine {
    static func parse(_ line: Substring, now: Int) -> (String, Point)? {
        let fields = line.split(separator: " ", omittingEmptySubsequences: true)
        guard fields.count == 3, let dot = fields[0].firstIndex(of: ".") else { return nil }
        guard let path = try? MetricKey.sanitize(fields[0][fields[0].index(after: dot)...]),
            let value = StrictNumber.parse(fields[1])
        else { return nil }
        let timestamp: Int
        if fields[2] == "-1" || fields[2] == "N" {
            timestamp = now
        } else if let t = StrictNumber.parse(fields[2]), t >= 0, t < 4_294_967_296 {
            timestamp = Int(t)
        } else {
            return nil
        }
        return (path, Point(timestamp, value))
    }
}

/// Consecutive lines of one token, while the receive loop walks them.
private struct Run {
    var token: UnsafeRawBufferPointer?
    var tenant: String?
    var allowance = 0
    var blocked = false
    var dropped = 0
    var bad = 0
    var lines: [StatsDLine] = []

    init(token: UnsafeRawBufferPointer? = nil, tenant: String? = nil) {
        self.token = token
        self.tenant = tenant
    }

    /// Folds the run into the batch and gives back what it leased and did not use.
    mutating func end(into routed: inout StatsDIngest.Routed, quota: inout LocalQuota) {
        guard let tenant else { return }
        quota.giveBack(tenant, allowance)
        allowance = 0
        if dropped > 0 { routed.dropped[tenant, default: 0] += dropped }
        if bad > 0 {
            routed.bad += bad
            routed.badLines[tenant, default: 0] += bad
        }
        if !lines.isEmpty { routed.lines[tenant, default: []] += lines }
        dropped = 0
        bad = 0
        lines = []
    }
}

/// Byte-level helpers for the receive loop.
enum RawLine {
    /// The token a raw line claims (see `StatsDLine.tokenPrefix`), or nil when it claims none.
    static func token(_ line: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer? {
        var start = 0
        if line.count > 4, line[0] == UInt8(ascii: "_"), line[1] == UInt8(ascii: "s"), line[2] == UInt8(ascii: "c"), line[3] == UInt8(ascii: "|") {
            start = 4
        } else if line.count > 3, line[0] == UInt8(ascii: "_"), line[1] == UInt8(ascii: "e"), line[2] == UInt8(ascii: "{") {
            guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else { return nil }
            start = colon + 1
        }
        var end = start
        while end < line.count {
            let b = line[end]
            if b == UInt8(ascii: ".") || b == UInt8(ascii: ":") || b == UInt8(ascii: "|") || b == UInt8(ascii: " ") { break }
            end += 1
        }
        return end > start ? UnsafeRawBufferPointer(rebasing: line[start..<end]) : nil
    }

    static func same(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Bool {
        a.count == b.count && memcmp(a.baseAddress!, b.baseAddress!, a.count) == 0
    }
}
