import Glibc

/// A response body: an array, or bytes a writer filled behind a pointer and hands over without copying them.
public enum ResponseBody: Sendable {
    case bytes([UInt8])
    case written(WrittenBytes)

    public var count: Int {
        switch self {
        case .bytes(let bytes): bytes.count
        case .written(let written): written.count
        }
    }

    func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) -> R) -> R {
        switch self {
        case .bytes(let bytes): bytes.withUnsafeBytes(body)
        case .written(let written): body(UnsafeRawBufferPointer(start: written.start, count: written.count))
        }
    }
}

/// Bytes behind a pointer that this object owns and frees.
public final class WrittenBytes: @unchecked Sendable {
    // @unchecked: nothing changes the bytes once their writer has handed them over.
    let start: UnsafeMutablePointer<UInt8>
    let count: Int

    /// Takes over memory from `malloc` or `realloc`, of which `count` bytes are written.
    public init(takingOwnershipOf start: UnsafeMutablePointer<UInt8>, count: Int) {
        self.start = start
        self.count = count
    }

    deinit { free(start) }
}
