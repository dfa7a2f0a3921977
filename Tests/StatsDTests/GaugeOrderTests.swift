import Testing

@testable import StatsD

/// Gauge changes received by two threads are applied in the order their batches arrived, whichever thread's
/// bucket the flush merges first (Etsy StatsD, single-threaded, applies them in arrival order).
@Suite struct GaugeOrderTests {
    /// Records `line`'s samples into `bucket` as part of the batch numbered `arrival`.
    func receive(_ line: String, arrival: Int, into bucket: inout Bucket) throws {
        guard case .metric(_, let key, let samples) = try StatsDLine.parse(Substring(line), expectToken: false) else {
            Issue.record("not a metric: \(line)")
            return
        }
        bucket.arrival = arrival
        for sample in samples { bucket.record(key, sample) }
    }

    func lastGauge(_ first: Bucket, then second: Bucket) -> Double? {
        var merged = Bucket()
        merged.merge(first)
        merged.merge(second)
        var state = TenantState()
        return state.flush(merged, now: 1_700_000_000, interval: 10, idleExpiry: 3600).first { $0.0 == "stats.gauges.g" }?.1
    }

    @Test func changesFromTwoReceiversApplyInArrivalOrder() throws {
        let sent: [(String, Int)] = [("g:10|g", 1), ("g:+5|g", 2), ("g:1|g", 3), ("g:-3|g", 4), ("g:+2|g", 5), ("g:7|g", 6), ("g:+1|g", 7)]
        var odd = Bucket(), even = Bucket()
        for (line, arrival) in sent {
            if arrival % 2 == 1 { try receive(line, arrival: arrival, into: &odd) } else { try receive(line, arrival: arrival, into: &even) }
        }
        // Expected by Etsy's rules in arrival order: 10, 15, 1, -2, 0, 7, 8.
        #expect(lastGauge(odd, then: even) == 8)
        #expect(lastGauge(even, then: odd) == 8)
    }

    @Test func changesOfOneBatchKeepTheirOrder() throws {
        var bucket = Bucket(), other = Bucket()
        try receive("g:5|g", arrival: 4, into: &bucket)
        try receive("g:+1|g", arrival: 4, into: &bucket)
        try receive("g:9|g", arrival: 4, into: &bucket)
        try receive("g:100|g", arrival: 2, into: &other)
        #expect(lastGauge(bucket, then: other) == 9)
        #expect(lastGauge(other, then: bucket) == 9)
    }
}
