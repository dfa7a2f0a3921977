// Writes a 24 h series of 10 s points (8,640) as render JSON with ByteWriter.appendPoints, 200 times a round, and
// prints the best round's nanoseconds a point for each kind of value, then the bytes of one answer to the file
// given, for the script to compare with Python's json.
//   points <kind: whole|rates|timers> <output-file>
import Glibc

@_silgen_name("mallopt") func mallopt(_ parameter: Int32, _ value: Int32) -> Int32
// As the server does (Allocator.keepFreedMemory): a 150 KB answer reuses freed memory instead of fresh pages.
_ = mallopt(-3, 64 << 20)  // M_MMAP_THRESHOLD
_ = mallopt(-1, 256 << 20)  // M_TRIM_THRESHOLD

func seconds() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_MONOTONIC, &t)
    return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
}

let (kind, output) = (CommandLine.arguments[1], CommandLine.arguments[2])
let start = 1_763_871_000
let values: [Double?] = (0..<8640).map { k in
    switch kind {
    case "rates": Double(k * 37 % 1000) / 10
    case "timers": Double(k * 7919 % 100_000) / 7.3
    default: Double((7 + k) % 100)
    }
}
var best = Double.infinity
for _ in 0..<15 {
    let began = seconds()
    for _ in 0..<200 {
        var writer = ByteWriter(capacity: 200_000)
        writer.appendPoints(values[...], start: start, step: 10, dropNulls: false)
        _ = writer.finish()
    }
    best = min(best, (seconds() - began) / 200 / Double(values.count) * 1e9)
}
func answer() -> WrittenBytes {
    var writer = ByteWriter(capacity: 200_000)
    writer.appendPoints(values[...], start: start, step: 10, dropNulls: false)
    guard case .written(let bytes) = writer.finish() else { fatalError("the writer gave no bytes") }
    return bytes
}
let bytes = answer()
guard let file = fopen(output, "w") else { fatalError("cannot write \(output)") }
fwrite(bytes.start, 1, bytes.count, file)
fclose(file)
print(best)
