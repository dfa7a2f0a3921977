import Foundation
import Posix

/// A fixed set of threads for handlers that block (SQLite, password hashing), with a bounded queue.
final class WorkerPool: @unchecked Sendable {
    // @unchecked: `jobs` and `stopping` are only touched while holding `condition`.
    private let condition = NSCondition()
    private var jobs: [@Sendable () -> Void] = []
    private var head = 0
    private var stopping = false
    private let maxQueued: Int
    private let finished = DispatchGroup()

    init(threads: Int, maxQueued: Int, name: String) {
        self.maxQueued = maxQueued
        for index in 0..<threads {
            finished.enter()
            startThread(named: "\(name)-\(index)") { [self] in
                work()
                finished.leave()
            }
        }
    }

    /// Queues a job; false when the queue is full or the pool is stopping.
    func submit(_ job: @escaping @Sendable () -> Void) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        guard !stopping, jobs.count - head < maxQueued else { return false }
        jobs.append(job)
        condition.signal()
        return true
    }

    /// Runs what is queued, then stops the threads and waits for them.
    func stop() {
        condition.lock()
        stopping = true
        condition.broadcast()
        condition.unlock()
        finished.wait()
    }

    private func work() {
        while let job = take() { job() }
    }

    private func take() -> (@Sendable () -> Void)? {
        condition.lock()
        defer { condition.unlock() }
        while head == jobs.count && !stopping { condition.wait() }
        guard head < jobs.count else { return nil }
        let job = jobs[head]
        head += 1
        if head > 1024 && head * 2 > jobs.count {
            jobs.removeFirst(head)
            head = 0
        }
        return job
    }
}

/// The server's two pools: one for handlers that wait, one for handlers that compute.
struct WorkerPools: Sendable {
    let blocking: WorkerPool
    let compute: WorkerPool

    /// The pool for a placement off the event loop.
    func pool(for placement: HandlerPlacement) -> WorkerPool {
        placement == .workerPool ? blocking : compute
    }

    func stop() {
        blocking.stop()
        compute.stop()
    }
}
