import COpenSSL

/// Errors from OpenSSL, with its error queue rendered as text.
public struct TLSError: Error, CustomStringConvertible, Sendable {
    public let description: String

    init(_ what: String) {
        var details: [String] = []
        while case let code = ERR_get_error(), code != 0 {
            var buffer = [CChar](repeating: 0, count: 256)
            ERR_error_string_n(code, &buffer, buffer.count)
            details.append(String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        description = details.isEmpty ? what : "\(what): \(details.joined(separator: "; "))"
    }
}

/// A server-side TLS configuration: certificate chain and private key from PEM files.
public final class TLSContext: @unchecked Sendable {
    // @unchecked: an SSL_CTX is immutable after setup and OpenSSL documents it as safe to share.
    let context: OpaquePointer

    public init(certificateFile: String, keyFile: String) throws(TLSError) {
        guard let ctx = SSL_CTX_new(TLS_server_method()) else { throw TLSError("SSL_CTX_new") }
        context = ctx
        _ = tw_ssl_ctx_set_min_tls12(ctx)
        _ = tw_ssl_ctx_set_modes(ctx)
        guard SSL_CTX_use_certificate_chain_file(ctx, certificateFile) == 1 else {
            throw TLSError("cannot load certificate \(certificateFile)")
        }
        guard SSL_CTX_use_PrivateKey_file(ctx, keyFile, SSL_FILETYPE_PEM) == 1 else {
            throw TLSError("cannot load private key \(keyFile)")
        }
        guard SSL_CTX_check_private_key(ctx) == 1 else {
            throw TLSError("private key \(keyFile) does not match certificate \(certificateFile)")
        }
    }

    deinit { SSL_CTX_free(context) }

    /// A new server session over the connected socket `fd`.
    public func makeSession(fd: Int32) throws(TLSError) -> TLSSession {
        guard let ssl = SSL_new(context) else { throw TLSError("SSL_new") }
        SSL_set_fd(ssl, fd)
        SSL_set_accept_state(ssl)
        return TLSSession(ssl: ssl)
    }
}
