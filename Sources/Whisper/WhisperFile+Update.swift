/// Writing points with whisper's exact semantics (whisper.py `file_update`, `file_update_many`, `__propagate`).
extension WhisperFile {
    /// whisper.update_many: newest first, each point into the finest archive that still covers its age,
    /// contiguous runs written at once, then propagated to coarser archives. Points older than every archive
    /// are dropped. Of two points with the same timestamp, the one given first wins, as in whisper.
    public func updateMany(_ points: [Point], now: Int) throws(WhisperError) {
        guard !points.isEmpty else { return }
        let newestFirst = Self.newestFirst(points)
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

    /// Points by time, newest first; of equal times the one given first comes first (whisper's stable sort).
    /// Flush-shaped input is already in time order with distinct times: then it is only reversed.
    static func newestFirst(_ points: [Point]) -> [Point] {
        if zip(points, points.dropFirst()).allSatisfy({ $0.timestamp < $1.timestamp }) { return points.reversed() }
        return points.enumerated().sorted {
            $0.element.timestamp != $1.element.timestamp ? $0.element.timestamp > $1.element.timestamp : $0.offset < $1.offset
        }.map(\.element)
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
            let lowerStep = header.archives[lower].secondsPerPoint
            guard try propagate([interval - floorMod(interval, lowerStep)], from: lower - 1, to: lower) != nil else { break }
        }
    }

    /// whisper's `__archive_update_many`: `points` are chronological and all fit archive `index`.
    private func updateArchive(_ index: Int, chronological points: [Point]) throws(WhisperError) {
        let archive = header.archives[index]
        let step = archive.secondsPerPoint
        let kept = Self.lastPerInterval(points.map { Point($0.timestamp - floorMod($0.timestamp, step), $0.value) })
        let runs = Self.contiguousRuns(kept, step: step)
        var base = try baseInterval(index)
        let wasEmpty = base == 0
        if wasEmpty {
            base = runs[0].start
            noteBase(index, base)
        }
        for run in runs {
            try writeSlots(archive, run.packed, at: slotOffset(archive, interval: run.start, base: base))
        }
        var higher = index
        var content = wasEmpty ? Self.wholeContent(kept, of: archive) : nil
        for lower in (index + 1)..<header.archives.count {
            let lowerStep = header.archives[lower].secondsPerPoint
            let intervals = Self.distinctIntervals(kept, step: lowerStep)
            guard let written = try propagate(intervals, from: higher, to: lower, higherContent: content) else { break }
            content = written.lowerContent
            higher = lower
        }
    }

    /// `points` (chronological, one per interval) as everything an archive that was empty holds after they are
    /// written; nil when they span the whole archive, where later points overwrite earlier ones.
    static func wholeContent(_ points: [Point], of archive: ArchiveInfo) -> [Point]? {
        guard let first = points.first, let last = points.last, last.timestamp - first.timestamp < archive.retention else { return nil }
        return points
    }

    /// Of aligned chronological points sharing an interval, the last (the one whisper keeps).
    static func lastPerInterval(_ aligned: [Point]) -> [Point] {
        var out: [Point] = []
        out.reserveCapacity(aligned.count)
        for (i, point) in aligned.enumerated() where i + 1 == aligned.count || aligned[i + 1].timestamp != point.timestamp {
            out.append(point)
        }
        return out
    }

    /// The distinct `step`-aligned intervals of chronological points, in order.
    static func distinctIntervals(_ chronological: [Point], step: Int) -> [Int] {
        var out: [Int] = []
        out.reserveCapacity(chronological.count)
        for point in chronological {
            let interval = point.timestamp - floorMod(point.timestamp, step)
            if out.last != interval { out.append(interval) }
        }
        return out
    }

    /// Packs chronological points, one per interval, into runs of consecutive intervals.
    static func contiguousRuns(_ points: [Point], step: Int) -> [(start: Int, packed: [UInt8])] {
        var runs: [(start: Int, packed: [UInt8])] = []
        var packed: [UInt8] = []
        packed.reserveCapacity(points.count * WhisperFormat.pointSize)
        var previous = 0
        for point in points {
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

    /// whisper's `__propagate` for coarser `intervals` (aligned, sorted, unique): aggregates the finer points under
    /// each into archive `lower` when enough are known (xFilesFactor). Nil when no point was written.
    /// Whisper goes one interval at a time; here the finer points under a run of adjacent intervals are read at once
    /// and the results written as runs. The outcome is the same: a level only reads `higher` and only writes `lower`.
    /// When `higherContent` is everything `higher` holds, its slots are built from it instead of being read back.
    func propagate(_ intervals: [Int], from higherIndex: Int, to lowerIndex: Int, higherContent: [Point]? = nil) throws(WhisperError) -> Propagation? {
        let higher = header.archives[higherIndex]
        let lower = header.archives[lowerIndex]
        let perLower = lower.secondsPerPoint / higher.secondsPerPoint
        let higherBase = try baseInterval(higherIndex)
        var results: [Point] = []
        var groupStart = 0
        while groupStart < intervals.count {
            var groupEnd = groupStart + 1
            while groupEnd < intervals.count, intervals[groupEnd] == intervals[groupEnd - 1] + lower.secondsPerPoint,
                (groupEnd - groupStart + 1) * perLower <= higher.points
            {
                groupEnd += 1
            }
            let first = intervals[groupStart]
            let count = min((groupEnd - groupStart) * perLower, higher.points)
            let bytes =
                if let higherContent { Self.slots(of: higherContent, from: first, count: count, step: higher.secondsPerPoint) }
                else if higherBase == 0 { try readSlots(higher, from: higher.offset, count: count) }
                else { try readSlots(higher, fromInterval: first, count: count, base: higherBase) }
            for (j, interval) in intervals[groupStart..<groupEnd].enumerated() {
                let slots = j * perLower..<min((j + 1) * perLower, bytes.count / WhisperFormat.pointSize)
                if let value = aggregate(bytes, slots: slots, start: interval, step: higher.secondsPerPoint) {
                    results.append(Point(interval, value))
                }
            }
            groupStart = groupEnd
        }
        guard !results.isEmpty else { return nil }
        var base = try baseInterval(lowerIndex)
        let wasEmpty = base == 0
        if wasEmpty {
            base = results[0].timestamp
            noteBase(lowerIndex, base)
        }
        for run in Self.contiguousRuns(results, step: lower.secondsPerPoint) {
            try writeSlots(lower, run.packed, at: slotOffset(lower, interval: run.start, base: base))
        }
        return Propagation(lowerContent: wasEmpty ? Self.wholeContent(results, of: lower) : nil)
    }

    /// What a propagation wrote: everything the coarser archive now holds, when that is known (it was empty).
    struct Propagation {
        let lowerContent: [Point]?
    }

    /// `count` consecutive slots from `interval`'s as an archive holding exactly `content` (chronological, one point
    /// per interval, spanning less than the archive) stores them: a slot without a point is zeros, as on disk.
    static func slots(of content: [Point], from interval: Int, count: Int, step: Int) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(count * WhisperFormat.pointSize)
        var next = content.firstIndex { $0.timestamp >= interval } ?? content.endIndex
        for j in 0..<count {
            let expected = interval + j * step
            if next < content.endIndex && content[next].timestamp == expected {
                BigEndian.appendPoint(&bytes, expected, content[next].value)
                next += 1
            } else {
                bytes.append(contentsOf: repeatElement(0, count: WhisperFormat.pointSize))
            }
        }
        return bytes
    }

    /// The aggregate of the finer points in `slots` of `bytes` whose timestamps match their expected interval,
    /// or nil when too few are known (xFilesFactor).
    private func aggregate(_ bytes: [UInt8], slots: Range<Int>, start: Int, step: Int) -> Double? {
        var values = [Double?](repeating: nil, count: slots.count)
        var expected = start
        for (i, slot) in slots.enumerated() {
            let (t, v) = BigEndian.point(bytes, slot * WhisperFormat.pointSize)
            if t == expected { values[i] = v }
            expected += step
        }
        let known = values.compactMap { $0 }
        guard !known.isEmpty, Double(known.count) / Double(values.count) >= Double(header.xFilesFactor) else { return nil }
        return header.aggregation.aggregate(known: known, all: values)
    }
}
