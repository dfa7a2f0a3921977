import Foundation
import Posix

/// A fixed set of threads with a bounded queue, shared fairly: jobs wait in one queue per client key (the
/// credential a request carries) and the threads take from the keys in turn, so one client's flood of renders
/// waits behind its own jobs, not in front of everyone else's.
final class WorkerPool: @unchecked Sendable {
    // @unchecked: `queues`, `turns`, `queued` and `stopping` are only touched while holding `condition`.
    typealias Job = @Sendable () -> Void

    /// One key's jobs, oldest first from `head`.
    private struct KeyQueue {
        var jobs: [Job] = []
        var head = 0
        var isEmpty: Bool { head == jobs.count }
    }

    private let condition = NSCondition()
    private var queues: [UInt64: KeyQueue] = [:]
    /// The keys with jobs waiting, in the order they take turns; `turn` is the next to be served.
    private var turns: [UInt64] = []
    private var turn = 0
    private var queued = 0
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

    /// Queues a job under `key`; false when the pool's queue is full or the pool is stopping.
    func submit(key: UInt64 = 0, _ job: @escaping Job) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        guard !stopping, queued < maxQueued else { return false }
        if queues[key, default: KeyQueue()].isEmpty { turns.append(key) }
        queues[key, default: KeyQueue()].jobs.append(job)
        queued += 1
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

    /// The oldest job of the key whose turn it is; that key then goes to the back of the turns.
    private func take() -> Job? {
        condition.lock()
        defer { condition.unlock() }
        while queued == 0 && !stopping { condition.wait() }
        guard queued > 0 else { return nil }
        if turn >= turns.count { turn = 0 }
        let key = turns[turn]
        var queue = queues.removeValue(forKey: key)!
        let job = queue.jobs[queue.head]
        queue.head += 1
        queued -= 1
        if queue.isEmpty {
            turns.remove(at: turn)
        } else {
            if queue.head > 1024 && queue.head * 2 > queue.jobs.count {
                queue.jobs.removeFirst(queue.head)
                queue.head = 0
            }
            queues[key] = queue
            turn += 1
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
