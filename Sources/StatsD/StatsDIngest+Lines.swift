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
    public func ingest(packets: [String], into collector: Collector, cache: inout TokenCache) {
        cache.sync()
        var routed = Routed()
        for packet in packets {
            var seen: [String] = []
            for rawLine in packet.split(separator: "\n", omittingEmptySubsequences: true) {
                let line = rawLine.last == "\r" ? rawLine.dropLast() : rawLine
                guard !line.isEmpty else { continue }
                routed.total += 1
                guard let token = StatsDLine.tokenPrefix(line) else {
                    routed.bad += 1
                    continue
                }
                guard let tenant = cache.tenant(for: token) else {
                    routed.unknown += 1
                    continue
                }
                if !seen.contains(tenant) { seen.append(tenant) }
                do {
                    routed.lines[tenant, default: []].append(try StatsDLine.parse(line))
                } catch {
                    routed.bad += 1
                    routed.badLines[tenant, default: 0] += 1
                }
            }
            for tenant in seen { routed.packets[tenant, default: 0] += 1 }
        }
        record(routed, packets: packets.count, into: collector)
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
        collector.buckets.withLock { buckets in
            for tenant in Set(routed.lines.keys).union(routed.badLines.keys).union(routed.packets.keys) {
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
                bucket.lines += lines.count + bad
                bucket.badLines += bad
                bucket.droppedOverQuota += lines.count - kept.count
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
