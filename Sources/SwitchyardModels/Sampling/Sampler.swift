#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How the next token is picked from the logits.
public struct SamplingOptions: Sendable, Equatable {
    /// Logits are divided by this before the draw; `<= 0` picks the most likely token (greedy).
    public var temperature: Float
    /// Keep only the `topK` most likely tokens; `<= 0` or at least the vocabulary size disables it.
    public var topK: Int
    /// Keep the smallest set of most likely tokens whose probability reaches `topP`; `>= 1` disables it.
    public var topP: Float
    /// Drop tokens less likely than `minP` times the most likely one; `<= 0` disables it.
    public var minP: Float
    /// Penalty for tokens seen in the last `repetitionWindow` tokens: a positive logit is divided by
    /// it, a negative one multiplied (llama.cpp's rule). `1` disables it.
    public var repetitionPenalty: Float
    /// How many of the most recent tokens the repetition penalty looks at; 0 disables the penalty,
    /// a negative value means all of `recent`.
    public var repetitionWindow: Int
    /// Seed of the random draw; the same seed, logits and history give the same token.
    public var seed: UInt64

    public init(temperature: Float = 0.8, topK: Int = 40, topP: Float = 0.95, minP: Float = 0.05,
                repetitionPenalty: Float = 1.0, repetitionWindow: Int = 64, seed: UInt64 = 0) {
        self.temperature = temperature; self.topK = topK; self.topP = topP; self.minP = minP
        self.repetitionPenalty = repetitionPenalty; self.repetitionWindow = repetitionWindow; self.seed = seed
    }

    /// Always the most likely token (after the repetition penalty, which is off here).
    public static let greedy = SamplingOptions(temperature: 0, topK: 1, topP: 1, minP: 0)
}

/// Picks tokens from logits with llama.cpp's default sampler chain: repetition penalty → top-k →
/// top-p → min-p → temperature → a draw from the softmax with a seeded, platform-independent
/// generator (`SeededGenerator`). One sampler per generation: each draw advances its generator.
///
/// Works on any vocabulary size; with top-k set it selects the k best in one pass instead of sorting,
/// and top-p without top-k sorts only as many candidates as it needs.
public struct Sampler: Sendable {
    /// The options the sampler was made with.
    public let options: SamplingOptions
    private var generator: SeededGenerator
    // Working storage, reused across calls.
    private var work: [Float] = []
    private var ids: [Int32] = []
    private var values: [Float] = []

    public init(_ options: SamplingOptions) {
        self.options = options
        generator = SeededGenerator(seed: options.seed)
    }

    /// The next token for `logits` (one per vocabulary entry), given the tokens generated or read so
    /// far (`recent`, oldest first; only the last `repetitionWindow` count). Greedy sampling returns
    /// the lowest index among equal maxima.
    public mutating func sample(_ logits: UnsafeBufferPointer<Float>, recent: [Int32]) -> Int32 {
        precondition(!logits.isEmpty, "Sampler.sample needs at least one logit")
        // Plain greedy reads the logits where they are (a 262K vocabulary is a 1 MB copy).
        if options.temperature <= 0 && !penalizes(recent) { return argmax(logits) }
        penalize(logits, recent: recent)
        if options.temperature <= 0 { return argmax(work[...]) }
        filter()
        // Draw from the softmax of the kept candidates.
        let maxValue = values.max()!
        guard maxValue.isFinite else { return ids[0] }
        var total = 0.0
        for v in values { total += Double(Self.exp(v - maxValue)) }
        let target = generator.nextUnit() * total
        var cumulative = 0.0
        for (k, v) in values.enumerated() {
            cumulative += Double(Self.exp(v - maxValue))
            if target < cumulative { return ids[k] }
        }
        return ids[ids.count - 1]
    }

    /// The next token for `logits`; see `sample(_:recent:)` on a buffer.
    public mutating func sample(_ logits: [Float], recent: [Int32]) -> Int32 {
        logits.withUnsafeBufferPointer { sample($0, recent: recent) }
    }

    /// The candidates the draw would choose from and their probabilities, after every step of the
    /// chain (most likely first when top-k or top-p sorted them). Does not advance the generator.
    /// Greedy options give the argmax with probability 1.
    public mutating func distribution(_ logits: [Float], recent: [Int32]) -> [(token: Int32, probability: Float)] {
        logits.withUnsafeBufferPointer { penalize($0, recent: recent) }
        if options.temperature <= 0 { return [(argmax(work), 1)] }
        filter()
        let maxValue = values.max()!
        let weights = values.map { Double(Self.exp($0 - maxValue)) }
        let total = weights.reduce(0, +)
        return zip(ids, weights).map { ($0, Float($1 / total)) }
    }

    // MARK: The chain

    /// Copies the logits into `work` and applies the repetition penalty.
    private mutating func penalize(_ logits: UnsafeBufferPointer<Float>, recent: [Int32]) {
        work.removeAll(keepingCapacity: true)
        work.append(contentsOf: logits)
        let penalty = options.repetitionPenalty
        guard penalizes(recent) else { return }
        let window = options.repetitionWindow < 0 ? recent[...] : recent.suffix(options.repetitionWindow)
        var seen = Set<Int32>()
        for token in window where token >= 0 && Int(token) < work.count && seen.insert(token).inserted {
            let v = work[Int(token)]
            work[Int(token)] = v <= 0 ? v * penalty : v / penalty
        }
    }

    /// Top-k, top-p, min-p and temperature over `work`, leaving the survivors in `ids`/`values`.
    private mutating func filter() {
        let n = work.count
        var sorted = false
        ids.removeAll(keepingCapacity: true)
        values.removeAll(keepingCapacity: true)
        if options.topK > 0 && options.topK < n {
            selectTop(options.topK, ids: &ids, values: &values, from: work, indices: nil)
            sorted = true
        } else {
            ids.append(contentsOf: (0..<Int32(n)))
            values.append(contentsOf: work)
        }

        // Top-p: the shortest most-likely prefix whose probability reaches p (at least one token).
        if options.topP < 1 {
            let maxValue = sorted ? values[0] : values.max()!
            var total = 0.0
            for v in values { total += Double(Self.exp(v - maxValue)) }
            let p = Double(options.topP)
            if sorted {
                ids.removeLast(ids.count - Self.topPCount(values, maxValue: maxValue, total: total, p: p))
                values.removeLast(values.count - ids.count)
            } else {
                // Sort only as many candidates as needed: the best m, growing m until they reach p.
                let allIDs = ids, allValues = values
                var m = min(64, allIDs.count)
                while true {
                    var topIDs: [Int32] = [], topValues: [Float] = []
                    selectTop(m, ids: &topIDs, values: &topValues, from: allValues, indices: allIDs)
                    let keep = Self.topPCount(topValues, maxValue: maxValue, total: total, p: p)
                    if keep < m || m == allIDs.count {
                        ids = Array(topIDs[..<keep]); values = Array(topValues[..<keep])
                        break
                    }
                    m = min(m * 8, allIDs.count)
                }
            }
            sorted = true
        }

        // Min-p: keep logits within log(minP) of the best.
        if options.minP > 0 {
            let maxValue = sorted ? values[0] : values.max()!
            let threshold = min(maxValue, maxValue + Self.log(options.minP))   // the best always stays
            if sorted {
                var keep = 1
                while keep < values.count && values[keep] >= threshold { keep += 1 }
                ids.removeLast(ids.count - keep); values.removeLast(values.count - keep)
            } else {
                var w = 0
                for k in 0..<values.count where values[k] >= threshold {
                    ids[w] = ids[k]; values[w] = values[k]; w += 1
                }
                ids.removeLast(ids.count - w); values.removeLast(values.count - w)
            }
        }

        let t = options.temperature
        if t != 1 { for k in 0..<values.count { values[k] /= t } }
    }

    /// How many of `values` (sorted best first) top-p keeps: up to and including the first whose
    /// cumulative probability reaches p; all of them if rounding keeps the sum below p.
    private static func topPCount(_ values: [Float], maxValue: Float, total: Double, p: Double) -> Int {
        var cumulative = 0.0
        for (k, v) in values.enumerated() {
            cumulative += Double(exp(v - maxValue)) / total
            if cumulative >= p { return k + 1 }
        }
        return values.count
    }

    /// The `k` best of `source` (higher value first, lower index first among equal values) into
    /// `ids`/`values`, best first, in one pass with a k-element heap. `indices` gives each source
    /// entry's token id (nil: its position).
    private func selectTop(_ k: Int, ids: inout [Int32], values: inout [Float], from source: [Float], indices: [Int32]?) {
        // Min-heap on "worse": the root is the worst of the best k so far.
        var heapIDs: [Int32] = [], heapValues: [Float] = []
        heapIDs.reserveCapacity(k); heapValues.reserveCapacity(k)
        @inline(__always) func worse(_ va: Float, _ ia: Int32, _ vb: Float, _ ib: Int32) -> Bool {
            va < vb || (va == vb && ia > ib)
        }
        source.withUnsafeBufferPointer { src in
            for j in 0..<src.count {
                let v = src[j]
                let id = indices?[j] ?? Int32(j)
                if heapIDs.count < k {
                    heapIDs.append(id); heapValues.append(v)
                    var c = heapIDs.count - 1
                    while c > 0 {
                        let parent = (c - 1) / 2
                        guard worse(heapValues[c], heapIDs[c], heapValues[parent], heapIDs[parent]) else { break }
                        heapIDs.swapAt(c, parent); heapValues.swapAt(c, parent)
                        c = parent
                    }
                } else if worse(heapValues[0], heapIDs[0], v, id) {
                    heapIDs[0] = id; heapValues[0] = v
                    var parent = 0
                    while true {
                        var c = 2 * parent + 1
                        if c >= k { break }
                        if c + 1 < k && worse(heapValues[c + 1], heapIDs[c + 1], heapValues[c], heapIDs[c]) { c += 1 }
                        guard worse(heapValues[c], heapIDs[c], heapValues[parent], heapIDs[parent]) else { break }
                        heapIDs.swapAt(c, parent); heapValues.swapAt(c, parent)
                        parent = c
                    }
                }
            }
        }
        let order = (0..<heapIDs.count).sorted { worse(heapValues[$1], heapIDs[$1], heapValues[$0], heapIDs[$0]) }
        ids = order.map { heapIDs[$0] }
        values = order.map { heapValues[$0] }
    }

    /// The index of the largest value, the lowest index among equal maxima.
    /// Whether the repetition penalty changes anything for `recent`.
    private func penalizes(_ recent: [Int32]) -> Bool {
        options.repetitionPenalty != 1 && options.repetitionWindow != 0 && !recent.isEmpty
    }

    /// The lowest index of the largest value.
    private func argmax<C: RandomAccessCollection<Float>>(_ v: C) -> Int32 where C.Index == Int {
        if let fast = v.withContiguousStorageIfAvailable({ Self.argmax($0) }) { return fast }
        var best = v.startIndex
        for k in v.indices.dropFirst() where v[k] > v[best] { best = k }
        return Int32(best - v.startIndex)
    }

    /// The lowest index of the largest of `logits` (NaNs never win unless the first is one, as a
    /// plain scan's `>` has it): the greedy token. The largest value is found 16 lanes at a time,
    /// then its first index; a decode step of a 262K vocabulary spends tens of µs here, not hundreds.
    public static func argmax(_ logits: UnsafeBufferPointer<Float>) -> Int32 {
        let n = logits.count
        guard n >= 32, !logits[0].isNaN, let base = logits.baseAddress else {
            var best = 0
            for k in logits.indices.dropFirst() where logits[k] > logits[best] { best = k }
            return Int32(best)
        }
        // A lane takes a value only when it is larger (a NaN never is). A masked replace, not
        // `pointwiseMax`, which does not become vector code (measured 70× slower).
        var largest = SIMD16<Float>(repeating: logits[0])
        var i = 0
        let raw = UnsafeRawPointer(base)
        while i + 16 <= n {
            let v = raw.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self)
            largest.replace(with: v, where: v .> largest)
            i += 16
        }
        var m = largest.max()
        while i < n { if logits[i] > m { m = logits[i] }; i += 1 }
        return Int32(logits.firstIndex(of: m)!)
    }

    private static func exp(_ x: Float) -> Float { expf(x) }
    private static func log(_ x: Float) -> Float { logf(x) }
}
