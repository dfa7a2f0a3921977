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
        for sample in samples { bucket.record(key, sample, arrival: arrival) }
    }

    /// A receiving thread's bucket after these lines, each in the batch numbered beside it.
    func bucket(_ lines: [(String, Int)]) throws -> Bucket {
        var bucket = Bucket()
        for (line, arrival) in lines { try receive(line, arrival: arrival, into: &bucket) }
        return bucket
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
        let odd = try bucket(sent.filter { $0.1 % 2 == 1 })
        let even = try bucket(sent.filter { $0.1 % 2 == 0 })
        // Expected by Etsy's rules in arrival order: 10, 15, 1, -2, 0, 7, 8.
        #expect(lastGauge(odd, then: even) == 8)
        #expect(lastGauge(even, then: odd) == 8)
    }

    /// A batch taken before a flush by one thread, but recorded after the flush took the other thread's later
    /// batch: the value set later stays, as Etsy (which would have had both in the first flush) ends with it.
    @Test func aBatchRecordedAfterTheFlushOfALaterOneDoesNotUndoIt() throws {
        let later = try bucket([("g:20|g", 5)])
        let late = try bucket([("g:10|g", 4), ("g:+1|g", 4), ("g:+2|g", 6)])
        var state = TenantState()
        func flushGauge(_ bucket: Bucket, at now: Int) -> Double? {
            state.flush(bucket, now: now, interval: 10, idleExpiry: 3600).first { $0.0 == "stats.gauges.g" }?.1
        }
        #expect(flushGauge(later, at: 1_700_000_000) == 20)
        // Etsy, in arrival order: 10, 11, 20, 22.
        #expect(flushGauge(late, at: 1_700_000_010) == 22)
    }

    @Test func changesOfOneBatchKeepTheirOrder() throws {
        let batch = try bucket([("g:5|g", 4), ("g:+1|g", 4), ("g:9|g", 4)])
        let earlier = try bucket([("g:100|g", 2)])
        #expect(lastGauge(batch, then: earlier) == 9)
        #expect(lastGauge(earlier, then: batch) == 9)
    }
}
