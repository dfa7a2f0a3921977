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

    /// What the job must do after giving the socket back.
    enum Return {
        case nothing
        case wakeLoop
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

    /// The whole answer is written: the socket goes back to the loop.
    func giveBack() -> Return {
        if move(from: .lent, to: .loop) { return .nothing }
        if move(from: .awaited, to: .loop) { return .wakeLoop }
        return .closeSocket
    }

    /// The loop is to finish the answer: false when it has abandoned the connection, and the job closes the socket.
    func handBack() -> Bool {
        move(from: .lent, to: .handedBack) || move(from: .awaited, to: .handedBack)
    }

    private func move(from: State, to: State) -> Bool {
        state.compareExchange(expected: from.rawValue, desired: to.rawValue, ordering: .acquiringAndReleasing).exchanged
    }
}
