import COpenSSL

/// One TLS connection over a non-blocking socket. Not thread-safe: one event loop owns it.
public final class TLSSession {
    public enum Outcome: Equatable {
        case bytes(Int)
        case wantRead
        case wantWrite
        case closed
        case failed(String)
    }

    private let ssl: OpaquePointer

    init(ssl: OpaquePointer) { self.ssl = ssl }

    deinit { SSL_free(ssl) }

    /// Reads decrypted bytes, doing the handshake first when it is not done yet.
    public func read(into buffer: UnsafeMutableRawBufferPointer) -> Outcome {
        ERR_clear_error()
        let n = SSL_read(ssl, buffer.baseAddress, Int32(buffer.count))
        return n > 0 ? .bytes(Int(n)) : outcome(of: n)
    }

    /// Encrypts and writes; partial writes are allowed.
    public func write(_ buffer: UnsafeRawBufferPointer) -> Outcome {
        ERR_clear_error()
        let n = SSL_write(ssl, buffer.baseAddress, Int32(buffer.count))
        return n > 0 ? .bytes(Int(n)) : outcome(of: n)
    }

    /// Sends close_notify; best effort.
    public func shutdown() {
        ERR_clear_error()
        _ = SSL_shutdown(ssl)
    }

    private func outcome(of result: Int32) -> Outcome {
        switch SSL_get_error(ssl, result) {
        case SSL_ERROR_WANT_READ: return .wantRead
        case SSL_ERROR_WANT_WRITE: return .wantWrite
        case SSL_ERROR_ZERO_RETURN: return .closed
        case SSL_ERROR_SYSCALL where result == 0: return .closed
        default: return .failed(TLSError("TLS").description)
        }
    }
}

/// A blocking TLS client over a connected socket, for tests and tools.
public final class TLSClient {
    private let context: OpaquePointer
    private let session: TLSSession

    /// Connects TLS over `fd`; certificates are not verified (loopback tests use self-signed ones).
    public init(fd: Int32, serverName: String) throws(TLSError) {
        guard let ctx = SSL_CTX_new(TLS_client_method()) else { throw TLSError("SSL_CTX_new") }
        context = ctx
        guard let ssl = SSL_new(ctx) else { throw TLSError("SSL_new") }
        SSL_set_fd(ssl, fd)
        _ = tw_ssl_set_tlsext_host_name(ssl, serverName)
        guard SSL_connect(ssl) == 1 else {
            SSL_free(ssl)
            throw TLSError("SSL_connect")
        }
        session = TLSSession(ssl: ssl)
    }

    deinit { SSL_CTX_free(context) }

    public func write(_ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { session.write($0) } == .bytes(bytes.count)
    }

    /// Reads until the peer closes, `stop(received)` is true, or an error.
    public func read(until stop: ([UInt8]) -> Bool) -> [UInt8] {
        var received: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16384)
        while !stop(received) {
            guard case .bytes(let n) = chunk.withUnsafeMutableBytes({ session.read(into: $0) }) else { break }
            received += chunk[0..<n]
        }
        return received
    }
}
