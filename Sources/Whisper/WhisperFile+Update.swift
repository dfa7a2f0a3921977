/// Writing points with whisper's exact semantics (whisper.py `file_update`, `file_update_many`, `__propagate`).
extension WhisperFile {
    /// whisper.update_many: newest first, each point into the finest archive that still covers its age,
    /// contiguous runs written at once, then propagated to coarser archives. Points older than every archive
    /// are dropped. Of two points with the same timestamp, the one given first wins, as in whisper.
    public func updateMany(_ points: [Point], now: Int) throws(WhisperError) {
        guard !points.isEmpty else { return }
        let newestFirst = points.enumerated().sorted {
            $0.element.timestamp != $1.element.timestamp ? $0.element.timestamp > $1.element.timestamp : $0.offset < $1.offset
        }.map(\.element)
        var archiveIndex = 0
        var batch: [Point] = []
        for point in newestFirst {
            let age = now - point.timestamp
            while header.archives[archiveIndex].retention < age {
                if !batch.isEmpty {
                    try updateArchive(archiveIndex, chronological: batch.reversed())
                    batch.removeAll()
                }
                archiveIndex += 1
                if archiveIndex == header.archives.count { return }
            }
            batch.append(point)
        }
        if !batch.isEmpty { try updateArchive(archiveIndex, chronological: batch.reversed()) }
    }

    /// whisper.update: one point, which must be no older than the file's retention and not in the future.
    public func update(_ point: Point, now: Int) throws(WhisperError) {
        let age = now - point.timestamp
        guard age >= 0 && age < header.maxRetention else { throw .timestampNotCovered(timestamp: point.timestamp) }
        let index = header.archives.firstIndex { $0.retention >= age } ?? header.archives.count - 1
        let archive = header.archives[index]
        let interval = point.timestamp - floorMod(point.timestamp, archive.secondsPerPoint)
        var packed: [UInt8] = []
        BigEndian.appendPoint(&packed, interval, point.value)
        var base = try baseInterval(index)
        if base == 0 {
            base = interval
            noteBase(index, base)
        }
        try write(packed, at: slotOffset(archive, interval: interval, base: base))
        for lower in (index + 1)..<header.archives.count {
            guard try propagate(interval, from: lower - 1, to: lower) else { break }
        }
    }

    /// whisper's `__archive_update_many`: `points` are chronological and all fit archive `index`.
    private func updateArchive(_ index: Int, chronological points: [Point]) throws(WhisperError) {
        let archive = header.archives[index]
        let step = archive.secondsPerPoint
        let aligned = points.map { Point($0.timestamp - floorMod($0.timestamp, step), $0.value) }
        let runs = Self.contiguousRuns(aligned, step: step)
        var base = try baseInterval(index)
        if base == 0 {
            base = runs[0].start
            noteBase(index, base)
        }
        for run in runs {
            try writeSlots(archive, run.packed, at: slotOffset(archive, interval: run.start, base: base))
        }
        var higher = index
        for lower in (index + 1)..<header.archives.count {
            let lowerStep = header.archives[lower].secondsPerPoint
            let intervals = Set(aligned.map { $0.timestamp - floorMod($0.timestamp, lowerStep) }).sorted()
            var propagated = false
            for interval in intervals where try propagate(interval, from: higher, to: lower) { propagated = true }
            if !propagated { break }
            higher = lower
        }
    }

    /// Packs points into runs of consecutive intervals; of points sharing an interval the last is kept.
    static func contiguousRuns(_ aligned: [Point], step: Int) -> [(start: Int, packed: [UInt8])] {
        var runs: [(start: Int, packed: [UInt8])] = []
        var packed: [UInt8] = []
        var previous = 0
        for (i, point) in aligned.enumerated() {
            if i + 1 < aligned.count && aligned[i + 1].timestamp == point.timestamp { continue }
            // whisper treats a previous interval of 0 as "none yet" (`not previousInterval`).
            if previous != 0 && point.timestamp != previous + step {
                runs.append((previous - step * (packed.count / WhisperFormat.pointSize - 1), packed))
                packed = []
            }
            BigEndian.appendPoint(&packed, point.timestamp, point.value)
            previous = point.timestamp
        }
        if !packed.isEmpty { runs.append((previous - step * (packed.count / WhisperFormat.pointSize - 1), packed)) }
        return runs
    }

    /// whisper's `__propagate`: aggregates the finer points under `timestamp`'s coarser interval into archive
    /// `lower` when enough of them are known (xFilesFactor). Returns whether a point was written.
    func propagate(_ timestamp: Int, from higherIndex: Int, to lowerIndex: Int) throws(WhisperError) -> Bool {
        let higher = header.archives[higherIndex]
        let lower = header.archives[lowerIndex]
        let lowerStart = timestamp - floorMod(timestamp, lower.secondsPerPoint)
        let higherBase = try baseInterval(higherIndex)
        let firstOffset = higherBase == 0 ? higher.offset : slotOffset(higher, interval: lowerStart, base: higherBase)
        let count = lower.secondsPerPoint / higher.secondsPerPoint
        let bytes = try readSlots(higher, from: firstOffset, count: min(count, higher.points))
        var values = [Double?](repeating: nil, count: bytes.count / WhisperFormat.pointSize)
        var expected = lowerStart
        for i in values.indices {
            let (t, v) = BigEndian.point(bytes, i * WhisperFormat.pointSize)
            if t == expected { values[i] = v }
            expected += higher.secondsPerPoint
        }
        let known = values.compactMap { $0 }
        guard !known.isEmpty, Double(known.count) / Double(values.count) >= Double(header.xFilesFactor) else { return false }
        var packed: [UInt8] = []
        BigEndian.appendPoint(&packed, lowerStart, header.aggregation.aggregate(known: known, all: values))
        var lowerBase = try baseInterval(lowerIndex)
        if lowerBase == 0 {
            lowerBase = lowerStart
            noteBase(lowerIndex, lowerBase)
        }
        try write(packed, at: slotOffset(lower, interval: lowerStart, base: lowerBase))
        return true
    }
}
