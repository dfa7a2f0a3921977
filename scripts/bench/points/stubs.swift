// The few HTTP types ByteWriter.swift uses, so that it compiles on its own for this benchmark: the benchmark
// measures Sources/App/ByteWriter.swift and ShortestDecimal.swift as they are, and fails to build if they come to
// need more.
import Glibc

enum ResponseBody { case written(WrittenBytes) }

final class WrittenBytes {
    let start: UnsafeMutablePointer<UInt8>
    let count: Int
    init(takingOwnershipOf start: UnsafeMutablePointer<UInt8>, count: Int) { (self.start, self.count) = (start, count) }
    deinit { free(start) }
}

enum JSON {
    static func needsEscaping(_ b: UInt8) -> Bool { b < 0x20 || b == UInt8(ascii: "\"") || b == UInt8(ascii: "\\") }
    struct Text { let bytes: [UInt8] }
    static func string(_ text: String) -> Text { fatalError("not used by the point writer") }
}
