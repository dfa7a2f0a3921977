import Glibc
import Whisper

extension StatsDIngest {
    /// Lines of one batch, routed to their tenants before anything is recorded.
    private struct Routed {
        var lines: [String: [StatsDLine]] = [:]
        var badLines: [String: Int] = [:]
        var packets: [String: Int] = [:]

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
        let arrival = ArrivalOrder.next()
        bytes.withUnsafeBytes { all in
            ingest(datagrams: bounds.map { UnsafeRawBufferPointer(rebasing: all[$0]) }, arrival: arrival, into: collector, cache: &cache, quota: &quota)
        }
    }

    /// The hot path, on raw bytes, under one lock of the thread's own collector per batch: lines are found by
    /// byte scans, tokens compared with the previous line's, plain lines parsed and recorded straight from their
    /// bytes (`FastLine`), and a tenant over its quota has its lines counted and dropped before any parsing.
    /// `arrival` numbers the batch among all receivers' (`ArrivalOrder`).
    public func ingest(datagrams: [UnsafeRawBufferPointer], arrival: Int, into collector: Collector, cache: inout TokenCache, quota: inout LocalQuota) {
        cache.sync()
        let second = now
        var totals = BatchTotals()
        var scratch: [Sample] = []
        collector.buckets.withLock { buckets in
            var run = Run()
            // The previous line's token and tenant, across packets: the same token again costs a byte compare.
            var lastToken: UnsafeRawBufferPointer?
            var lastTenant: String?
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
                    totals.lines += 1
                    guard let token = RawLine.token(line) else {
                        totals.bad += 1
                        continue
                    }
                    if lastToken.map({ !RawLine.same($0, token) }) ?? true {
                        lastToken = token
                        lastTenant = cache.tenant(for: Substring(String(decoding: token, as: UTF8.self)))
                        run.end(into: &buckets, quota: &quota)
                    }
                    guard let tenant = lastTenant else {
                        totals.unknown += 1
                        continue
                    }
                    if run.tenant == nil { run = Run(tenant: tenant, buckets: &buckets) }
                    if !seen.contains(tenant) { seen.append(tenant) }
                    run.bucket.counts.lines += 1
                    if run.allowance == 0 && !run.blocked {
                        run.allowance = quota.lease(tenant, second: second, from: limiter)
                        run.blocked = run.allowance == 0
                    }
                    guard run.allowance > 0 else {
                        run.bucket.counts.droppedOverQuota += 1
                        totals.dropped += 1
                        continue
                    }
                    run.allowance -= 1
                    let afterToken = token.baseAddress! - line.baseAddress! + token.count
                    if afterToken < line.count, line[afterToken] == UInt8(ascii: "."), line[0] != UInt8(ascii: "_"),
                        FastLine.record(UnsafeRawBufferPointer(rebasing: line[(afterToken + 1)...]), into: &run.bucket, arrival: arrival, scratch: &scratch)
                    {
                        continue
                    }
                    do {
                        switch try StatsDLine.parse(Substring(String(decoding: line, as: UTF8.self))) {
                        case .metric(_, let key, let samples): for s in samples { run.bucket.record(key, s, arrival: arrival) }
                        case .serviceCheck: run.bucket.counts.serviceChecks += 1; totals.serviceChecks += 1
                        case .event: run.bucket.counts.events += 1; totals.events += 1
                        }
                    } catch {
                        run.bucket.counts.badLines += 1
                        totals.bad += 1
                    }
                }
                run.end(into: &buckets, quota: &quota)
                for tenant in seen { buckets[tenant, default: Bucket()].counts.packets += 1 }
            }
        }
        stats.packets.add(datagrams.count, ordering: .relaxed)
        stats.lines.add(totals.lines, ordering: .relaxed)
        stats.badLines.add(totals.bad, ordering: .relaxed)
        stats.unknownTokens.add(totals.unknown, ordering: .relaxed)
        stats.droppedOverQuota.add(totals.dropped, ordering: .relaxed)
        stats.serviceChecks.add(totals.serviceChecks, ordering: .relaxed)
        stats.events.add(totals.events, ordering: .relaxed)
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
    @discardableResult
    private func record(_ routed: Routed, packets: Int, into collector: Collector) -> Int {
        let second = now
        var admitted: [String: ArraySlice<StatsDLine>] = [:]
        var droppedTotal = 0
        for (tenant, lines) in routed.lines {
            let allowed = limiter.admit(tenant, count: lines.count, now: second)
            admitted[tenant] = lines.prefix(allowed)
            droppedTotal += lines.count - allowed
        }
        var checks = 0, events = 0
        let arrival = ArrivalOrder.next()
        collector.buckets.withLock { buckets in
            for tenant in Set(routed.lines.keys).union(routed.badLines.keys).union(routed.packets.keys) {
                var bucket = buckets[tenant] ?? Bucket()
                let lines = routed.lines[tenant] ?? []
                let kept = admitted[tenant] ?? []
                for line in kept {
                    switch line {
                    case .metric(_, let key, let samples): for s in samples { bucket.record(key, s, arrival: arrival) }
                    case .serviceCheck: bucket.counts.serviceChecks += 1; checks += 1
                    case .event: bucket.counts.events += 1; events += 1
                    }
                }
                let bad = routed.badLines[tenant] ?? 0
                bucket.counts.lines += lines.count + bad
                bucket.counts.badLines += bad
                bucket.counts.droppedOverQuota += lines.count - kept.count
                bucket.counts.packets += routed.packets[tenant] ?? 0
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
                bucket.counts.lines += count + (bad[tenant] ?? 0)
                bucket.counts.badLines += bad[tenant] ?? 0
                bucket.counts.droppedOverQuota += count - (admitted[tenant] ?? 0)
                bucket.counts.packets += 1
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

/// Counts of one batch, added to the service-wide atomics once.
private struct BatchTotals {
    var lines = 0, bad = 0, unknown = 0, dropped = 0, serviceChecks = 0, events = 0
}

/// Consecutive lines of one token, while the receive loop walks them: the tenant's bucket is taken out of the
/// collector for the run and put back at its end, so a line costs no dictionary lookup of its tenant.
private struct Run {
    var tenant: String?
    var bucket = Bucket()
    var allowance = 0
    var blocked = false

    init() {}

    init(tenant: String, buckets: inout [String: Bucket]) {
        self.tenant = tenant
        bucket = buckets.removeValue(forKey: tenant) ?? Bucket()
    }

    /// Puts the bucket back and returns the lines leased and not used.
    mutating func end(into buckets: inout [String: Bucket], quota: inout LocalQuota) {
        guard let tenant else { return }
        quota.giveBack(tenant, allowance)
        allowance = 0
        buckets[tenant] = bucket
        self.tenant = nil
        bucket = Bucket()
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
