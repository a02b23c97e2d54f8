import Foundation
import XCTest
@testable import SwitchyardModels

/// Pins `Sampler` to llama.cpp's default chain (repetition penalty → top-k → top-p → min-p →
/// temperature → draw): each filter keeps exactly the tokens it must, draws follow the softmax of
/// what is kept, and a seed fixes the sequence. Logits are fresh random values each run; failures
/// print them.
final class SamplerTests: XCTestCase {

    // MARK: - Greedy

    func testGreedyPicksArgmaxWithLowestIndexOnTies() {
        var sampler = Sampler(.greedy)
        XCTAssertEqual(sampler.sample([0.1, 3, -2, 3, 1], recent: []), 1)
        let logits = randomLogits(1000)
        let best = Int32(logits.indices.max { logits[$0] < logits[$1] || (logits[$0] == logits[$1] && $0 > $1) }!)
        XCTAssertEqual(sampler.sample(logits, recent: []), best)
        var zeroTemperature = Sampler(SamplingOptions(temperature: 0, topK: 0, topP: 1, minP: 0))
        XCTAssertEqual(zeroTemperature.sample(logits, recent: []), best)
        XCTAssertEqual(zeroTemperature.sample([5, 5, 5], recent: []), 0)
    }

    func testTopKOneIsGreedy() {
        for seed in 0..<20 as Range<UInt64> {
            let logits = randomLogits(5000)
            var sampler = Sampler(SamplingOptions(temperature: 1.5, topK: 1, topP: 1, minP: 0, seed: seed))
            var greedy = Sampler(.greedy)
            XCTAssertEqual(sampler.sample(logits, recent: []), greedy.sample(logits, recent: []), "seed \(seed)")
        }
    }

    // MARK: - Seeds

    func testSeededSamplingIsReproducible() {
        let logits = randomLogits(300, spread: 2)
        let options = SamplingOptions(temperature: 1, topK: 0, topP: 1, minP: 0, seed: 42)
        var a = Sampler(options), b = Sampler(options)
        let first = (0..<200).map { _ in a.sample(logits, recent: []) }
        let second = (0..<200).map { _ in b.sample(logits, recent: []) }
        XCTAssertEqual(first, second)
        XCTAssertGreaterThan(Set(first).count, 10, "a flat distribution should give varied tokens")
    }

    func testDifferentSeedsGiveDifferentSequences() {
        let logits = randomLogits(300, spread: 2)
        var a = Sampler(SamplingOptions(temperature: 1, topK: 0, topP: 1, minP: 0, seed: 1))
        var b = Sampler(SamplingOptions(temperature: 1, topK: 0, topP: 1, minP: 0, seed: 2))
        let first = (0..<100).map { _ in a.sample(logits, recent: []) }
        let second = (0..<100).map { _ in b.sample(logits, recent: []) }
        XCTAssertNotEqual(first, second)
    }

    func testSeededGeneratorSequenceIsFixed() {
        // xoshiro256** seeded by SplitMix64(0): the first outputs never change across platforms.
        var g = SeededGenerator(seed: 0)
        let values = (0..<3).map { _ in g.next() }
        var h = SeededGenerator(seed: 0)
        XCTAssertEqual(values, (0..<3).map { _ in h.next() })
        XCTAssertEqual(values[0], 0x99EC_5F36_CB75_F2B4, String(values[0], radix: 16))
        var u = SeededGenerator(seed: 9)
        for _ in 0..<1000 { let x = u.nextUnit(); XCTAssertTrue(x >= 0 && x < 1) }
    }

    // MARK: - Filters

    func testTopKNeverDrawsBeyondTheKthTokenAndFollowsTheSoftmax() {
        let logits = randomLogits(50, spread: 1.5)
        let order = logits.indices.sorted { logits[$0] > logits[$1] }
        let kept = Array(order.prefix(3))
        var sampler = Sampler(SamplingOptions(temperature: 1, topK: 3, topP: 1, minP: 0, seed: 7))
        var counts = [Int: Int]()
        let draws = 10_000
        for _ in 0..<draws { counts[Int(sampler.sample(logits, recent: [])), default: 0] += 1 }
        XCTAssertEqual(Set(counts.keys).subtracting(kept), [], "drew tokens outside the top 3; logits \(logits)")
        let expected = softmax(kept.map { logits[$0] })
        for (k, token) in kept.enumerated() {
            let frequency = Double(counts[token, default: 0]) / Double(draws)
            XCTAssertEqual(frequency, expected[k], accuracy: 0.025, "token \(token) (rank \(k)); logits \(logits)")
        }
    }

    func testSampledFrequenciesFollowTheTemperedSoftmax() {
        let logits: [Float] = [2.0, 1.0, 0.5, 0.0, -1.0]
        let temperature: Float = 0.7
        var sampler = Sampler(SamplingOptions(temperature: temperature, topK: 0, topP: 1, minP: 0, seed: 3))
        var counts = [Int](repeating: 0, count: logits.count)
        let draws = 20_000
        for _ in 0..<draws { counts[Int(sampler.sample(logits, recent: []))] += 1 }
        let expected = softmax(logits.map { $0 / temperature })
        for k in logits.indices {
            XCTAssertEqual(Double(counts[k]) / Double(draws), expected[k], accuracy: 0.015, "token \(k)")
        }
    }

    func testTopPKeepsTheShortestPrefixReachingP() {
        // Probabilities 0.5, 0.3, 0.15, 0.05.
        let logits = [0.5, 0.3, 0.15, 0.05].map { Float(Foundation.log($0)) }
        func kept(_ p: Float) -> [Int32] {
            var sampler = Sampler(SamplingOptions(temperature: 1, topK: 0, topP: p, minP: 0))
            return sampler.distribution(logits, recent: []).map(\.token)
        }
        XCTAssertEqual(kept(0.5), [0])
        XCTAssertEqual(kept(0.79), [0, 1])
        XCTAssertEqual(kept(0.81), [0, 1, 2])
        XCTAssertEqual(kept(0.99), [0, 1, 2, 3])
        XCTAssertEqual(kept(0), [0])
        var sampler = Sampler(SamplingOptions(temperature: 1, topK: 0, topP: 0.81, minP: 0))
        let probabilities = sampler.distribution(logits, recent: []).map(\.probability)
        for (got, want) in zip(probabilities, [0.5 / 0.95, 0.3 / 0.95, 0.15 / 0.95]) {
            XCTAssertEqual(Double(got), want, accuracy: 1e-5)
        }
    }

    func testTopKAndTopPOnALargeVocabularyMatchAFullSort() {
        // 262144 logits: top-k selects in one pass, and top-p without top-k sorts only a growing
        // prefix; both must agree with a full sort.
        let logits = randomLogits(262_144, spread: 4)
        let order = sortedIndices(logits)
        var topK = Sampler(SamplingOptions(temperature: 1, topK: 40, topP: 1, minP: 0))
        XCTAssertEqual(topK.distribution(logits, recent: []).map(\.token), order.prefix(40).map { Int32($0) })

        let maxValue = Double(logits[order[0]])
        let weights = order.map { Foundation.exp(Double(logits[$0]) - maxValue) }
        let total = weights.reduce(0, +)
        for p: Float in [0.3, 0.9, 0.999] {
            var sampler = Sampler(SamplingOptions(temperature: 1, topK: 0, topP: p, minP: 0))
            let got = sampler.distribution(logits, recent: []).map(\.token)
            var cumulative = 0.0, keep = 0
            for w in weights { cumulative += w / total; keep += 1; if cumulative >= Double(p) { break } }
            // Float rounding may move the cut by a token at most.
            XCTAssertLessThanOrEqual(abs(got.count - keep), 1, "p \(p): kept \(got.count), full sort keeps \(keep)")
            let common = min(got.count, keep)
            XCTAssertEqual(Array(got.prefix(common)), order.prefix(common).map { Int32($0) }, "p \(p)")
        }
    }

    func testFiltersApplyInLlamaCppOrder() {
        // Probabilities 0.5, 0.3, 0.2. Top-k 2 leaves 0.625 / 0.375, so top-p 0.6 then keeps one token
        // (over the full distribution it would keep two).
        let logits = [0.5, 0.3, 0.2].map { Float(Foundation.log($0)) }
        var sampler = Sampler(SamplingOptions(temperature: 1, topK: 2, topP: 0.6, minP: 0))
        XCTAssertEqual(sampler.distribution(logits, recent: []).map(\.token), [0])
        // Min-p after top-p: 0.5, 0.3 survive top-p 0.75; min-p 0.7 then drops 0.3 (< 0.35).
        var minP = Sampler(SamplingOptions(temperature: 1, topK: 0, topP: 0.75, minP: 0.7))
        XCTAssertEqual(minP.distribution(logits, recent: []).map(\.token), [0])
    }

    func testDefaultChainOnAGemmaSizedVocabularyDrawsFromTheTop40() {
        let logits = randomLogits(262_144, spread: 6)
        let top40 = Set(sortedIndices(logits).prefix(40).map { Int32($0) })
        var sampler = Sampler(SamplingOptions(seed: 11))
        let start = Date()
        let draws = (0..<20).map { _ in sampler.sample(logits, recent: [1, 2, 3]) }
        // Not a timing assertion; reported for the log.
        print("default chain on 262144 logits: \(String(format: "%.1f", Date().timeIntervalSince(start) / 20 * 1000)) ms per token")
        XCTAssertTrue(Set(draws).isSubset(of: top40), "draws \(draws) outside the top 40")
    }

    func testMinPDropsTokensLessLikelyThanAFractionOfTheBest() {
        // Probabilities 0.4, 0.3, 0.2, 0.06, 0.04: with min-p 0.2 the cut is 0.08.
        let logits = [0.4, 0.3, 0.2, 0.06, 0.04].map { Float(Foundation.log($0)) }
        for topK in [0, 5] {   // unsorted and sorted paths
            var sampler = Sampler(SamplingOptions(temperature: 1, topK: topK, topP: 1, minP: 0.2))
            XCTAssertEqual(Set(sampler.distribution(logits, recent: []).map(\.token)), [0, 1, 2], "topK \(topK)")
        }
        var everything = Sampler(SamplingOptions(temperature: 1, topK: 0, topP: 1, minP: 0))
        XCTAssertEqual(everything.distribution(logits, recent: []).count, 5)
        var above1 = Sampler(SamplingOptions(temperature: 1, topK: 0, topP: 1, minP: 2))
        XCTAssertEqual(above1.distribution(logits, recent: []).map(\.token), [0], "the best token always survives")
    }

    func testTemperatureScalesLogitsOfTheKeptTokens() {
        let logits = randomLogits(20)
        var sampler = Sampler(SamplingOptions(temperature: 0.5, topK: 0, topP: 1, minP: 0))
        let got = sampler.distribution(logits, recent: [])
        let expected = softmax(logits.map { $0 / 0.5 })
        for (token, probability) in got {
            XCTAssertEqual(Double(probability), expected[Int(token)], accuracy: 1e-5, "token \(token); logits \(logits)")
        }
    }

    // MARK: - Repetition penalty

    func testRepetitionPenaltyMovesRepeatedTokensTheRightWay() {
        let logits: [Float] = [2.0, 1.0, -1.0, 0.5]
        func probabilities(_ penalty: Float, recent: [Int32], window: Int = 64) -> [Float] {
            var sampler = Sampler(SamplingOptions(temperature: 1, topK: 0, topP: 1, minP: 0,
                                                  repetitionPenalty: penalty, repetitionWindow: window))
            var p = [Float](repeating: 0, count: logits.count)
            for (t, q) in sampler.distribution(logits, recent: recent) { p[Int(t)] = q }
            return p
        }
        let base = probabilities(1, recent: [0, 2])
        let penalised = probabilities(1.5, recent: [0, 2, 0, 0])
        XCTAssertLessThan(penalised[0], base[0], "a positive repeated logit is divided: less likely")
        XCTAssertLessThan(penalised[2], base[2], "a negative repeated logit is multiplied: less likely")
        XCTAssertGreaterThan(penalised[1], base[1], "tokens not repeated gain")
        // The exact rule: 2 / 1.5 and -1 * 1.5, counted once however often repeated.
        let expected = softmax([2.0 / 1.5, 1.0, -1.5, 0.5])
        for k in 0..<4 { XCTAssertEqual(Double(penalised[k]), expected[k], accuracy: 1e-5, "token \(k)") }
        // Only the last `repetitionWindow` tokens count.
        let windowed = probabilities(1.5, recent: [0, 3, 3], window: 2)
        XCTAssertEqual(Double(windowed[0]), softmax([2, 1, -1, 0.5 / 1.5])[0], accuracy: 1e-5)
        // Greedy honours the penalty: token 0 penalised hard loses to token 1.
        var greedy = Sampler(SamplingOptions(temperature: 0, repetitionPenalty: 3))
        XCTAssertEqual(greedy.sample(logits, recent: [0]), 1)
    }

    // MARK: - Helpers

    private func randomLogits(_ n: Int, spread: Float = 3) -> [Float] {
        (0..<n).map { _ in Float.random(in: -spread...spread) }
    }

    /// Indices of `logits`, largest first, lowest index first among equal values.
    private func sortedIndices(_ logits: [Float]) -> [Int] {
        logits.withUnsafeBufferPointer { v in
            Array(0..<v.count).sorted { v[$0] > v[$1] || (v[$0] == v[$1] && $0 < $1) }
        }
    }

    private func softmax(_ logits: [Float]) -> [Double] {
        let m = Double(logits.max()!)
        let e = logits.map { Foundation.exp(Double($0) - m) }
        let s = e.reduce(0, +)
        return e.map { $0 / s }
    }

    /// The vectorised argmax picks what a plain scan picks: the lowest index of the largest value,
    /// NaNs skipped (unless first), ties, tails shorter than a vector, all-negative rows.
    func testArgmaxMatchesAPlainScan() {
        func scan(_ v: [Float]) -> Int32 {
            var best = 0
            for k in v.indices.dropFirst() where v[k] > v[best] { best = k }
            return Int32(best)
        }
        var rng = SeededGenerator(seed: 7)
        for n in [1, 15, 16, 17, 31, 32, 33, 100, 1_000, 262_145] {
            for trial in 0..<4 {
                var v = (0..<n).map { _ in Float(rng.nextUnit() * 20 - (trial == 1 ? 40 : 10)) }
                if trial == 2 && n > 3 { v[n / 2] = .nan; v[n - 1] = .nan; v[1] = v.max()!; v[n - 2] = v[1] }   // NaNs and a tie
                if trial == 3 && n > 1 { v[0] = .nan }
                v.withUnsafeBufferPointer { XCTAssertEqual(Sampler.argmax($0), scan(v), "n=\(n) trial \(trial)") }
            }
        }
    }
}
