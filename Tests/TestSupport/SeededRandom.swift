/// A seeded generator (SplitMix64) so a failing sequence can be replayed from its seed.
public struct SeededRandom: RandomNumberGenerator {
    public var state: UInt64

    public init(state: UInt64) { self.state = state }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// `input` with one to four random edits (a byte from `alphabet` put in or written over one, a byte dropped
/// or doubled): the mutations a parser's fuzz test feeds it.
public func mutated(_ input: [UInt8], alphabet: [UInt8], using rng: inout SeededRandom) -> [UInt8] {
    var out = input
    for _ in 0...Int(rng.next() % 4) {
        let at = Int(rng.next() % UInt64(max(1, out.count)))
        let byte = alphabet[Int(rng.next() % UInt64(alphabet.count))]
        switch rng.next() % 4 {
        case _ where out.isEmpty: out.append(byte)
        case 0: out.insert(byte, at: at)
        case 1: out.remove(at: at)
        case 2: out.insert(out[at], at: at)
        default: out[at] = byte
        }
    }
    return out
}

/// Feeds `count` seeded mutations of `seeds` (taken in turn) to `accept`; how many it accepted. A parser's fuzz
/// test checks that the count is neither none nor all, so that the edits reached past its first check.
public func acceptedMutations(of seeds: [String], alphabet: String, count: Int, seed: UInt64, _ accept: ([UInt8]) -> Bool) -> Int {
    var rng = SeededRandom(state: seed)
    let bytes = Array(alphabet.utf8)
    var accepted = 0
    for n in 0..<count where accept(mutated(Array(seeds[n % seeds.count].utf8), alphabet: bytes, using: &rng)) {
        accepted += 1
    }
    return accepted
}
