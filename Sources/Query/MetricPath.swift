/// A metric path's names (`a.b.c`: `a`, `b`, `c`), read by position as Graphite's functions and find read them.
public struct MetricPath {
    public let names: [Substring]

    public init(_ path: String) {
        names = path.split(separator: ".", omittingEmptySubsequences: false)
    }

    /// The name at `position`, counted as Python indexes a list (-1 is the last); nil past either end.
    public subscript(position: Int) -> Substring? {
        let index = position < 0 ? names.count + position : position
        return names.indices.contains(index) ? names[index] : nil
    }
}
