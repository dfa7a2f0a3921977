import Synchronization

/// Who may use a connection's socket while one of its requests runs on a worker pool.
///
/// The loop lends the socket to the job, which writes its answer straight to it and gives it back: no hand-off
/// back to the loop, no wake-up, for the common case of a keep-alive answer that fits the socket buffer. The
/// loop asks to be woken (`await`) only when it has something to do for the connection meanwhile: new input
/// arrived, or a pipelined request waits in its buffer. When the job cannot finish the answer alone (the socket
/// is full, the connection is to close, TLS), it hands the rest back through the loop's mailbox.
/// Exactly one side closes the socket: the loop, unless it let go of the connection while the job still held
/// the socket (`abandon`), and then the job, so that no answer can reach a descriptor number the system has
/// since given to another connection or file.
final class FlightGate: Sendable {
    private enum State: Int {
        case loop, lent, awaited, handedBack, abandoned
    }

    /// What the job does once it has let go of the socket.
    enum Release {
        /// Nothing: the loop did not ask to be woken.
        case done
        /// Wake the loop, which waits for the socket.
        case wakeLoop
        /// Post the rest of the answer to the loop, which writes it.
        case handBack
        /// Close the socket: the loop has let go of the connection.
        case closeSocket
    }

    private let state = Atomic<Int>(State.loop.rawValue)

    // MARK: The loop's side

    /// The job is about to be queued: it holds the socket from now on.
    func lend() { state.store(State.lent.rawValue, ordering: .releasing) }

    /// The job still holds the socket (it may have given it back since; `await` tells for sure).
    var isLent: Bool { state.load(ordering: .acquiring) != State.loop.rawValue }

    /// True while the job holds the socket, and then the loop is woken when it is done; false when the job has
    /// already given it back.
    func await() -> Bool {
        let (exchanged, seen) = state.compareExchange(expected: State.lent.rawValue, desired: State.awaited.rawValue, ordering: .acquiringAndReleasing)
        return exchanged || seen != State.loop.rawValue
    }

    /// The socket is the loop's again: the job was not queued after all, or its handed-back answer arrived.
    func takeBack() { state.store(State.loop.rawValue, ordering: .releasing) }

    /// The loop drops the connection. True when the job still holds the socket and will close it.
    func abandon() -> Bool {
        move(from: .lent, to: .abandoned) || move(from: .awaited, to: .abandoned)
    }

    // MARK: The job's side
    // While the job holds the socket, only the loop moves the state: from lent to awaited, and from either to
    // abandoned.

    /// The job lets go of the socket: `answered` when it wrote the whole answer on a connection that stays open,
    /// otherwise the loop is to finish (write the rest, or close).
    func release(answered: Bool) -> Release {
        if answered {
            if move(from: .lent, to: .loop) { return .done }
            if move(from: .awaited, to: .loop) { return .wakeLoop }
        } else if move(from: .lent, to: .handedBack) || move(from: .awaited, to: .handedBack) {
            return .handBack
        }
        return .closeSocket
    }

    private func move(from: State, to: State) -> Bool {
        state.compareExchange(expected: from.rawValue, desired: to.rawValue, ordering: .acquiringAndReleasing).exchanged
    }
}

extension FlightGate: CustomDebugStringConvertible {
    /// Who holds the socket now, for logs and tests.
    var debugDescription: String {
        State(rawValue: state.load(ordering: .acquiring)).map { "\($0)" } ?? "?"
    }
}

/// The loop's side of lending a connection's socket: whether a job went off with it and has not been seen to
/// give it back, over the gate the job shares. Owned by the connection and used by its loop only.
struct SocketLoan {
    let gate = FlightGate()
    /// A job went off with the socket and the loop has not yet seen it back. This is not the gate's state: a job
    /// gives the socket back without telling the loop when the loop did not ask, and the sweep tells by this a
    /// connection to look at again from one idle since its answer.
    private(set) var isOut = false

    /// The job is about to be queued: it holds the socket from now on.
    mutating func lend() {
        gate.lend()
        isOut = true
    }

    /// The socket is the loop's again: the job was not queued after all, or its handed-back answer arrived.
    mutating func takeBack() {
        gate.takeBack()
        isOut = false
    }

    /// Whether the job still holds the socket; with `wake`, the loop is then woken when it gives it back. Once
    /// the socket is back, the loan is over.
    mutating func isStillOut(wake: Bool) -> Bool {
        guard isOut else { return false }
        if wake ? gate.await() : gate.isLent { return true }
        isOut = false
        return false
    }

    /// The loop drops the connection: true when the job still holds the socket and will close it.
    func abandon() -> Bool { isOut && gate.abandon() }
}
