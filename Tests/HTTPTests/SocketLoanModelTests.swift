import Testing

@testable import HTTP

/// A model check of lending a connection's socket to pool jobs: every interleaving of one connection's client,
/// its event loop and its jobs, each step taken on the real `SocketLoan` and `FlightGate`. The loop's and the
/// jobs' own logic around them is mirrored from `EventLoop` (`drive`, `dispatch`, `finish`, the mailbox and
/// `close`), one call on the gate per step, so every order of those calls is tried. A call's compare-and-swaps
/// are not split: between them the other side can only move the state on in the order they try it (see
/// `FlightGate`), so a move there changes which one succeeds, as the same move before the call would.
///
/// In every interleaving: only one side uses the socket at a time, nobody uses it after its close, it is closed
/// exactly once when the loop drops the connection and never otherwise, and every request sent is answered
/// unless the connection closes (no wake-up lost, none taken for another job's).
@Suite struct SocketLoanModelTests {
    @Test func everyInterleavingKeepsTheSocketToOneSideAndAnswersEveryRequest() {
        var explorer = Explorer(requests: 4)
        explorer.explore([])
        #expect(explorer.violations.isEmpty, "\(explorer.violations.prefix(3))")
        // Four requests (at least three are needed for a third to be dispatched wrongly beside the second job
        // while the first's wake-up is on its way: 18fbf64), and every way a job lets go: quietly, waking the
        // loop, handing back, closing.
        #expect(explorer.states > 20_000, "\(explorer.states)")
        #expect(explorer.releasesSeen == [.done, .wakeLoop, .handBack, .closeSocket])
    }
}

/// Depth-first over every interleaving, each state once. The gate's state is its own, so a world is not copied:
/// the path to each state is replayed from the start.
private struct Explorer {
    let requests: Int
    var violations: [String] = []
    var states = 0
    private var seen: Set<String> = []
    var releasesSeen: Set<FlightGate.Release> = []

    init(requests: Int) { self.requests = requests }

    mutating func explore(_ path: [Int]) {
        var world = World(requests: requests)
        for choice in path { world.take(world.enabledSteps()[choice]) }
        guard seen.insert(world.state).inserted else { return }
        states += 1
        releasesSeen.formUnion(world.releases)
        if let violation = world.violation {
            violations.append("\(violation) after \(world.history.joined(separator: ", "))")
            return
        }
        let steps = world.enabledSteps()
        // The sweep (the loop's fallback for closing idle connections) and dropping the connection are never
        // needed for progress: when nothing else can happen, the state counts as final though they still could.
        if steps.allSatisfy(\.isOptional), let failure = world.finalFailure() {
            violations.append("\(failure) after \(world.history.joined(separator: ", "))")
        }
        for choice in steps.indices where violations.count < 3 { explore(path + [choice]) }
    }
}

/// How a job's write goes.
private enum WriteOutcome: CaseIterable {
    /// The whole answer, on a connection that stays open.
    case whole
    /// Part of it: the socket's buffer is full, and the loop writes the rest.
    case part
    /// The whole answer, on a connection that then closes (`Connection: close`, or the server stopping).
    case closing
}

private enum Step: CustomStringConvertible {
    case clientSends
    case loopHandlesInput
    case loopTakesMail
    case loopSweeps
    case loopDropsConnection
    case jobWrites(Int, WriteOutcome)
    case jobReleases(Int)
    case jobFinishes(Int)

    var isOptional: Bool {
        switch self {
        case .loopSweeps, .loopDropsConnection: true
        default: false
        }
    }

    var description: String {
        switch self {
        case .clientSends: "client sends"
        case .loopHandlesInput: "loop reads"
        case .loopTakesMail: "loop takes mail"
        case .loopSweeps: "loop sweeps"
        case .loopDropsConnection: "loop drops connection"
        case .jobWrites(let j, let outcome): "job \(j) writes \(outcome)"
        case .jobReleases(let j): "job \(j) releases"
        case .jobFinishes(let j): "job \(j) finishes"
        }
    }
}

private enum Mail {
    case gaveBack
    case handedBack(WriteOutcome)
}

private struct Job {
    enum Phase {
        case queued
        case wrote(WriteOutcome)
        case released(FlightGate.Release, WriteOutcome)
        case finished
    }

    var phase = Phase.queued
    /// From its dispatch until the gate lets it go; until its close when the gate tells it to close.
    var holdsSocket = true
}

/// One connection: what its client sent, what its loop holds, its jobs, the loop's mailbox and the socket.
private struct World {
    var requestsLeft: Int
    var sent = 0
    var answered = 0
    var unread = 0
    var inputEvent = false
    /// The loop's connection state, as `Connection` keeps it.
    var loan = SocketLoan()
    var mayHaveInput = false
    var buffered = 0
    var pendingOutput = false
    var closeAfterWrite = false
    var dropped = false
    var sweepsLeft = 2
    var jobs: [Job] = []
    var mailbox: [Mail] = []
    var socketCloses = 0
    var releases: Set<FlightGate.Release> = []
    var violation: String?
    var history: [String] = []

    init(requests: Int) { requestsLeft = requests }

    /// Everything that decides what can happen next, the gate's state included.
    var state: String {
        let loop = "\(loan.gate) \(loan.isOut) \(mayHaveInput) \(buffered) \(pendingOutput) \(closeAfterWrite) \(dropped) \(sweepsLeft)"
        let jobs = jobs.map { "\($0.phase) \($0.holdsSocket)" }
        return "\(requestsLeft) \(sent) \(answered) \(unread) \(inputEvent) | \(loop) | \(jobs) \(mailbox) \(socketCloses)"
    }

    func enabledSteps() -> [Step] {
        var steps: [Step] = []
        if requestsLeft > 0 { steps.append(.clientSends) }
        if !dropped {
            if inputEvent { steps.append(.loopHandlesInput) }
            if !mailbox.isEmpty { steps.append(.loopTakesMail) }
            if loan.isOut && sweepsLeft > 0 { steps.append(.loopSweeps) }
            steps.append(.loopDropsConnection)
        }
        for (j, job) in jobs.enumerated() {
            switch job.phase {
            case .queued: steps += WriteOutcome.allCases.map { .jobWrites(j, $0) }
            case .wrote: steps.append(.jobReleases(j))
            case .released(let release, _) where release != .done: steps.append(.jobFinishes(j))
            case .released, .finished: break
            }
        }
        return steps
    }

    mutating func take(_ step: Step) {
        history.append(step.description)
        switch step {
        case .clientSends:
            requestsLeft -= 1
            sent += 1
            unread += 1
            inputEvent = true
        case .loopHandlesInput:
            inputEvent = false
            mayHaveInput = true
            drive()
        case .loopTakesMail:
            deliver(mailbox.removeFirst())
        case .loopSweeps:
            sweepsLeft -= 1
            drive()
        case .loopDropsConnection:
            close()
        case .jobWrites(let j, let outcome):
            use("job \(j) writes", byLoop: false)
            if outcome != .part { answered += 1 }
            jobs[j].phase = .wrote(outcome)
        case .jobReleases(let j):
            guard case .wrote(let outcome) = jobs[j].phase else { return }
            let release = loan.gate.release(answered: outcome == .whole)
            releases.insert(release)
            jobs[j].phase = .released(release, outcome)
            if release != .closeSocket { jobs[j].holdsSocket = false }
        case .jobFinishes(let j):
            guard case .released(let release, let outcome) = jobs[j].phase else { return }
            switch release {
            case .done: break
            case .wakeLoop: mailbox.append(.gaveBack)
            case .handBack: mailbox.append(.handedBack(outcome))
            case .closeSocket:
                closeSocket(by: "job \(j)")
                jobs[j].holdsSocket = false
            }
            jobs[j].phase = .finished
        }
    }

    /// `EventLoop.drive`, for this model's connection.
    private mutating func drive() {
        while true {
            if pendingOutput {
                use("the loop writes", byLoop: true)
                pendingOutput = false
                answered += 1
            }
            if closeAfterWrite { return close() }
            if loan.isStillOut(wake: mayHaveInput || buffered > 0) { return }
            if buffered > 0 {
                buffered -= 1
                dispatch()
                continue
            }
            guard mayHaveInput else { return }
            use("the loop reads", byLoop: true)
            buffered += unread
            unread = 0
            mayHaveInput = false
        }
    }

    /// `EventLoop.dispatch` for a request that goes to a pool, which takes it.
    private mutating func dispatch() {
        if jobs.contains(where: \.holdsSocket) { fail("a job is dispatched while another holds the socket") }
        loan.lend()
        jobs.append(Job())
    }

    /// `EventLoop.deliverCompletions`, for one piece of mail.
    private mutating func deliver(_ mail: Mail) {
        switch mail {
        case .gaveBack:
            drive()
        case .handedBack(let outcome):
            loan.takeBack()
            pendingOutput = outcome == .part
            closeAfterWrite = outcome == .closing
            drive()
        }
    }

    /// `EventLoop.close`.
    private mutating func close() {
        guard !dropped else { return }
        dropped = true
        if loan.abandon() { return }
        closeSocket(by: "the loop")
    }

    private mutating func closeSocket(by closer: String) {
        if socketCloses > 0 { fail("\(closer) closes the socket a second time") }
        socketCloses += 1
    }

    private mutating func use(_ what: String, byLoop: Bool) {
        if socketCloses > 0 { fail("\(what) on a closed socket") }
        let holders = jobs.indices.filter { jobs[$0].holdsSocket }
        if byLoop ? !holders.isEmpty : holders.count > 1 { fail("\(what) while \(holders.map { "job \($0)" }) hold the socket") }
    }

    private mutating func fail(_ message: String) {
        if violation == nil { violation = message }
    }

    /// At the end, with nothing left to happen: the socket closed once if the loop dropped the connection and
    /// never otherwise, every request answered unless the connection closed, and the loan over by the sweep's
    /// look (otherwise the connection would never close when idle). Takes that look, so this world is done.
    mutating func finalFailure() -> String? {
        if dropped { return socketCloses == 1 ? nil : "the socket was closed \(socketCloses) times" }
        if socketCloses > 0 { return "the socket was closed while the loop kept the connection" }
        if answered != sent { return "\(sent) requests sent, \(answered) answered" }
        drive()
        if let violation { return violation }
        return loan.isOut ? "the loan outlives its job: the connection never closes when idle" : nil
    }
}
