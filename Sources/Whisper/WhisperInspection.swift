/// Text for `telewall whisper info|dump|check`, in the spirit of whisper-info.py and whisper-dump.py.
public enum WhisperInspection {
    public static func info(_ file: WhisperFile) -> String {
        let h = file.header
        var lines = [
            "aggregationMethod: \(h.aggregation)", "maxRetention: \(h.maxRetention)",
            "xFilesFactor: \(h.xFilesFactor)", "fileSize: \(h.fileSize)", "",
        ]
        for (i, a) in h.archives.enumerated() {
            lines += ["Archive \(i)", "offset: \(a.offset)", "secondsPerPoint: \(a.secondsPerPoint)", "points: \(a.points)",
                      "retention: \(a.retention)", "size: \(a.size)", ""]
        }
        return lines.joined(separator: "\n")
    }

    public static func dump(_ file: WhisperFile) throws(WhisperError) -> String {
        var out = info(file)
        for i in file.header.archives.indices {
            out += "Archive \(i) data:\n"
            for (slot, p) in try file.rawPoints(archive: i).enumerated() {
                out += "\(slot): \(p.timestamp), \(p.value)\n"
            }
            out += "\n"
        }
        return out
    }

    /// Problems beyond a readable header: an archive list whisper would refuse, a wrong maxRetention,
    /// points not aligned to their archive's step. Empty when the file is sound.
    public static func check(_ file: WhisperFile) throws(WhisperError) -> [String] {
        let h = file.header
        var problems: [String] = []
        let retentions = h.archives.map { Retention(secondsPerPoint: $0.secondsPerPoint, points: $0.points) }
        if let why = Retention.validate(retentions) { problems.append("archive list: \(why)") }
        let longest = h.archives.map(\.retention).max() ?? 0
        if h.maxRetention != longest { problems.append("maxRetention is \(h.maxRetention), the longest archive covers \(longest)") }
        for (i, a) in h.archives.enumerated() {
            let misaligned = try file.rawPoints(archive: i).filter { $0.timestamp != 0 && $0.timestamp % a.secondsPerPoint != 0 }.count
            if misaligned > 0 { problems.append("archive \(i): \(misaligned) points not aligned to \(a.secondsPerPoint) s") }
        }
        return problems
    }
}
