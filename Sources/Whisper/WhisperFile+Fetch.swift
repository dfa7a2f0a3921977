/// Reading with whisper.fetch's semantics.
extension WhisperFile {
    /// whisper.fetch: clamps the range to the retention and to `now`, picks the finest archive whose retention
    /// covers `from`, and returns the slots after `from`'s up to and including `until`'s; nil when the range is
    /// wholly in the future or beyond the retention.
    public func fetch(from: Int, until: Int? = nil, now: Int) throws(WhisperError) -> FetchResult? {
        guard let (archiveIndex, from, until) = try header.plan(from: from, until: until ?? now, now: now) else { return nil }
        return try fetch(archive: archiveIndex, from: from, until: until)
    }

    /// whisper's `__archive_fetch` on archive `index`.
    func fetch(archive index: Int, from: Int, until: Int) throws(WhisperError) -> FetchResult {
        let archive = header.archives[index]
        let step = archive.secondsPerPoint
        let fromInterval = from - floorMod(from, step) + step
        var untilInterval = until - floorMod(until, step) + step
        if fromInterval == untilInterval { untilInterval += step }
        let base = try baseInterval(index)
        guard base != 0 else { return header.emptyFetch(archive: index, from: from, until: until) }
        let fromOffset = slotOffset(archive, interval: fromInterval, base: base)
        let untilOffset = slotOffset(archive, interval: untilInterval, base: base)
        let slots = fromOffset < untilOffset
            ? (untilOffset - fromOffset) / WhisperFormat.pointSize
            : (archive.end - fromOffset + untilOffset - archive.offset) / WhisperFormat.pointSize
        let bytes = try readSlots(archive, from: fromOffset, count: slots)
        // Each value is stored once: a slot holding another interval's point (stale) reads as a gap.
        let values = bytes.withUnsafeBytes { raw in
            [Double?](unsafeUninitializedCapacity: slots) { out, initialized in
                var expected = fromInterval
                for i in 0..<slots {
                    let at = i * WhisperFormat.pointSize
                    let t = Int(UInt32(bigEndian: raw.loadUnaligned(fromByteOffset: at, as: UInt32.self)))
                    let value = Double(bitPattern: UInt64(bigEndian: raw.loadUnaligned(fromByteOffset: at + 4, as: UInt64.self)))
                    out.initializeElement(at: i, to: t == expected ? value : nil)
                    expected += step
                }
                initialized = slots
            }
        }
        return FetchResult(from: fromInterval, until: untilInterval, step: step, values: values)
    }
}
