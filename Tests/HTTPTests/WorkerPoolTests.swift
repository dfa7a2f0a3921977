import Foundation
import Synchronization
import Testing

@testable import HTTP

@Suite struct WorkerPoolTests {
    /// Waiting jobs are taken one key at a time in turn: a key with ten jobs queued first does not keep the
    /// keys behind it waiting for all ten.
    @Test func keysTakeTurnsAndTheQueueStaysBounded() {
        let pool = WorkerPool(threads: 1, maxQueued: 13, name: "test-pool")
        let gate = DispatchSemaphore(value: 0), started = DispatchSemaphore(value: 0)
        let order = Mutex<[String]>([])
        #expect(pool.submit {
            started.signal()
            gate.wait()
        })
        started.wait()  // the one thread is busy: everything below waits in the queue
        for (key, label, count) in [(1, "A", 10), (2, "B", 2), (3, "C", 1)] as [(UInt64, String, Int)] {
            for n in 0..<count {
                #expect(pool.submit(key: key) { order.withLock { $0.append("\(label)\(n)") } })
            }
        }
        #expect(!pool.submit(key: 4) {}, "past maxQueued the pool refuses")
        gate.signal()
        pool.stop()
        #expect(order.withLock { $0 } == ["A0", "B0", "C0", "A1", "B1"] + (2..<10).map { "A\($0)" })
    }
}
