import Foundation
import XCTest
import Switchyard
import SwitchyardReference

/// The reference backend's own ops against independent answers: each expected output is
/// recomputed here in Double with the naive textbook formula (written out again, not shared with
/// the reference's kernels), from the inputs the harness fed the op, and a few are worked out by
/// hand. Inputs are seeded random (never zeros); outputs start as NaN, so an unwritten element fails.
///
/// The reference rounds each Double result to Float once, so it must agree with these to a few
/// Float ulps (`relativeTolerance`).
final class ReferenceOpTests: XCTestCase {
    let reference = ReferenceBackend()
    /// Allowed |actual − expected| relative to |expected| (Float's ulp is 1.2e-7 relative).
    let relativeTolerance = 1e-6

    // MARK: - matmul

    func testMatmulMatchesNaiveProductOnDequantizedWeights() throws {
        for format in WeightFormat.allCases {
            let b = format.isQuantized ? format.blockSize : 1
            for (n, k, m) in [(1, 3 * b + (b == 1 ? 4 : 0), 11), (5, 2 * b + (b == 1 ? 7 : 0), 6)] {
                let run = try ran(.matmul(format, n: n, k: k, m: m))
                let x = run.inputs[0], w = run.inputs[1]
                var expected: [Double] = []
                for i in 0..<n {
                    for j in 0..<m {
                        var sum = 0.0
                        for c in 0..<k { sum += Double(x[i * k + c]) * Double(w[j * k + c]) }
                        expected.append(sum)
                    }
                }
                assertClose(run.output, expected, "matmul \(format) n=\(n) k=\(k) m=\(m)")
            }
        }
    }

    // MARK: - rmsNorm

    func testRMSNormWholeRowsAndPerHead() throws {
        for (n, columns, width, eps) in [(3, 45, 45, Float(1e-5)), (2, 96, 32, 1e-6), (1, 8, 4, 0.5)] {
            let run = try ran(.rmsNorm(n: n, columns: columns, width: width, eps: eps))
            let x = run.inputs[0], w = run.inputs[1]
            var expected: [Double] = []
            for r in 0..<n {
                for head in 0..<columns / width {
                    let start = r * columns + head * width
                    let meanSquare = (0..<width).map { Double(x[start + $0]) * Double(x[start + $0]) }.reduce(0, +) / Double(width)
                    let rms = (meanSquare + Double(eps)).squareRoot()
                    expected += (0..<width).map { Double(x[start + $0]) / rms * Double(w[$0]) }
                }
            }
            assertClose(run.output, expected, "rmsNorm x[\(n),\(columns)] width \(width)")
        }
    }

    func testRMSNormByHand() throws {
        // x = [3, 4] (mean square 12.5), w = [1, 2], eps 0: [3, 8] / √12.5.
        let opCase = OpCase(op: .rmsNorm(eps: 0), shape: "by hand", tokens: [0],
                            inputs: [.activation(columns: 2, table: [3, 4]), .weight(.f32, shape: [2], values: [1, 2])],
                            result: .activation(shape: [1, 2]))
        let run = try ran(opCase)
        assertClose(run.output, [3 / 12.5.squareRoot(), 8 / 12.5.squareRoot()], "rmsNorm by hand")
    }

    // MARK: - rope

    func testRopeByHandAtPositionOne() throws {
        // headDim 4, base 10000: θ₀ = 1 · 10000⁰ = 1 rad, θ₁ = 1 · 10000^(−2/4) = 0.01 rad.
        let x: [Float] = [1, 2, 3, 4]
        let normal = try ran(.rope(RopeParameters(heads: 1, headDim: 4, rotatedDims: 4, base: 10_000, layout: .normal),
                                   n: 1, start: 1, values: x))
        // Pairs (0, 1) by 1 rad and (2, 3) by 0.01 rad:
        // [1·cos 1 − 2·sin 1, 1·sin 1 + 2·cos 1, 3·cos .01 − 4·sin .01, 3·sin .01 + 4·cos .01]
        assertClose(normal.output, [-1.1426396637476532, 1.922075596544176, 2.9598506679133294, 4.029799501669161],
                    "rope normal by hand")
        let neox = try ran(.rope(RopeParameters(heads: 1, headDim: 4, rotatedDims: 4, base: 10_000, layout: .neox),
                                 n: 1, start: 1, values: x))
        // Pairs (0, 2) by 1 rad and (1, 3) by 0.01 rad:
        // [1·cos 1 − 3·sin 1, 2·cos .01 − 4·sin .01, 1·sin 1 + 3·cos 1, 2·sin .01 + 4·cos .01]
        assertClose(neox.output, [-1.9841106485555495, 1.959900667496664, 2.4623779024123156, 4.019799668334994],
                    "rope neox by hand")
        // Position 0 is the identity.
        let atZero = try ran(.rope(RopeParameters(heads: 1, headDim: 4, rotatedDims: 4, base: 10_000, layout: .normal),
                                   n: 1, start: 0, values: x))
        XCTAssertEqual(atZero.output, x, "rope at position 0")
    }

    func testRopeMatchesRotationFormula() throws {
        let cases: [(RopeParameters, n: Int, start: Int)] = [
            (RopeParameters(heads: 3, headDim: 64, rotatedDims: 64, base: 10_000, layout: .normal), 4, 0),
            (RopeParameters(heads: 2, headDim: 64, rotatedDims: 32, base: 500_000, layout: .normal), 1, 37),
            (RopeParameters(heads: 4, headDim: 32, rotatedDims: 32, base: 1_000_000, layout: .neox), 3, 5),
            (RopeParameters(heads: 1, headDim: 16, rotatedDims: 8, base: 10_000, frequencyScale: 0.25, layout: .neox), 2, 999),
        ]
        for (p, n, start) in cases {
            let run = try ran(.rope(p, n: n, start: start))
            let x = run.inputs[0]
            var expected = x.map(Double.init)   // dimensions past rotatedDims pass through
            for r in 0..<n {
                let position = Double(start + r) * Double(p.frequencyScale)
                for h in 0..<p.heads {
                    let base = r * p.heads * p.headDim + h * p.headDim
                    for i in 0..<p.rotatedDims / 2 {
                        let angle = position / pow(Double(p.base), Double(2 * i) / Double(p.rotatedDims))
                        let (a, b) = p.layout == .normal ? (2 * i, 2 * i + 1) : (i, i + p.rotatedDims / 2)
                        let x0 = Double(x[base + a]), x1 = Double(x[base + b])
                        expected[base + a] = x0 * cos(angle) - x1 * sin(angle)
                        expected[base + b] = x0 * sin(angle) + x1 * cos(angle)
                    }
                }
            }
            assertClose(run.output, expected, "rope \(p.layout) heads \(p.heads)×\(p.headDim) rotated \(p.rotatedDims) start \(start)")
            // The pass-through dimensions are copied bit for bit.
            for r in 0..<n {
                for h in 0..<p.heads {
                    let base = r * p.heads * p.headDim + h * p.headDim
                    for i in p.rotatedDims..<p.headDim where run.output[base + i] != x[base + i] {
                        XCTFail("rope \(p.layout): dimension \(i) of head \(h), row \(r) is not passed through"); return
                    }
                }
            }
        }
    }

    // MARK: - attention

    func testAttentionMatchesNaiveMaskedSoftmax() throws {
        let cases: [(AttentionParameters, n: Int, start: Int, capacity: Int)] = [
            (AttentionParameters(heads: 2, kvHeads: 2, headDim: 8, scale: 0.35), 4, 0, 6),                            // MHA, prefill
            (AttentionParameters(heads: 9, kvHeads: 3, headDim: 16, scale: 0.25), 3, 4, 10),                          // GQA 9/3
            (AttentionParameters(heads: 4, kvHeads: 1, headDim: 8, scale: 0.5), 1, 6, 7),                             // MQA decode
            (AttentionParameters(heads: 4, kvHeads: 2, headDim: 8, scale: 0.5, window: 3), 5, 4, 12),                 // sliding window
            (AttentionParameters(heads: 2, kvHeads: 1, headDim: 16, scale: 1, softcap: 1.5), 3, 2, 5),                // softcap
            (AttentionParameters(heads: 6, kvHeads: 2, headDim: 4, scale: 0.7, window: 2, softcap: 3), 2, 9, 11),     // all of them
            (AttentionParameters(heads: 4, kvHeads: 2, headDim: 8, scale: 0.5, window: 3), 2, 10, 5),                 // a ring cache
        ]
        for (p, n, start, capacity) in cases {
            let run = try ran(.attention(p, n: n, start: start, capacity: capacity, amplitude: 1.5))
            let q = run.inputs[0], keys = run.inputs[1], values = run.inputs[2]
            let kvWidth = p.kvHeads * p.headDim, d = p.heads * p.headDim
            var expected = [Double](repeating: 0, count: n * d)
            for r in 0..<n {
                let position = start + r
                for h in 0..<p.heads {
                    let kvHead = h / (p.heads / p.kvHeads)
                    // Scores over every position so far, then a mask: causal, and inside the window.
                    // Position t is in cache row t % capacity.
                    var weights = [Double](repeating: 0, count: position + 1)
                    var visible = [Bool](repeating: false, count: position + 1)
                    for t in 0...position {
                        visible[t] = t <= position && (p.window == nil || position - t < p.window!)
                        guard visible[t] else { continue }
                        var dot = 0.0
                        for i in 0..<p.headDim { dot += Double(q[r * d + h * p.headDim + i]) * Double(keys[t % capacity * kvWidth + kvHead * p.headDim + i]) }
                        var score = Double(p.scale) * dot
                        if let cap = p.softcap { score = Double(cap) * tanh(score / Double(cap)) }
                        weights[t] = exp(score)
                    }
                    let total = weights.reduce(0, +)
                    for t in 0...position where visible[t] {
                        for i in 0..<p.headDim {
                            expected[r * d + h * p.headDim + i] += weights[t] / total * Double(values[t % capacity * kvWidth + kvHead * p.headDim + i])
                        }
                    }
                }
            }
            assertClose(run.output, expected, "attention \(p.heads)/\(p.kvHeads) n=\(n) start=\(start) window \(String(describing: p.window)) softcap \(String(describing: p.softcap))")
        }
    }

    func testAttentionStructuralCases() throws {
        // A query at position 0 sees only key 0: the output is V's row 0, for every head of its group.
        let first = try ran(.attention(AttentionParameters(heads: 4, kvHeads: 2, headDim: 8, scale: 0.3), n: 1, start: 0, capacity: 3))
        let v0 = first.inputs[2].prefix(16).map(Double.init)
        let kvHead0 = Array(v0[0..<8]), kvHead1 = Array(v0[8..<16])
        assertClose(first.output, kvHead0 + kvHead0 + kvHead1 + kvHead1, "attention at position 0")
        // A window of 1 sees only the query's own position: row r is V's row start + r.
        let start = 5, n = 3
        let own = try ran(.attention(AttentionParameters(heads: 2, kvHeads: 1, headDim: 4, scale: 1, window: 1), n: n, start: start))
        let v = own.inputs[2]
        var expected: [Double] = []
        for r in 0..<n {
            let row = v[(start + r) * 4 ..< (start + r + 1) * 4].map(Double.init)
            expected += row + row   // both query heads read the one KV head
        }
        assertClose(own.output, expected, "attention with window 1")
    }

    // MARK: - Elementwise

    func testSoftmaxRows() throws {
        let run = try ran(.unary(.softmax, n: 3, columns: 17, amplitude: 10))
        let x = run.inputs[0]
        var expected: [Double] = []
        for r in 0..<3 {
            let row = x[r * 17 ..< (r + 1) * 17].map(Double.init)
            let top = row.max()!
            let total = row.map { exp($0 - top) }.reduce(0, +)
            expected += row.map { exp($0 - top) / total }
        }
        assertClose(run.output, expected, "softmax")
        for r in 0..<3 {
            XCTAssertEqual(run.output[r * 17 ..< (r + 1) * 17].map(Double.init).reduce(0, +), 1, accuracy: 1e-6, "softmax row \(r) sums to 1")
        }
        // By hand: softmax([0, ln 3]) = [1/4, 3/4].
        let hand = try ran(.unary(.softmax, n: 1, columns: 2, values: [0, Float(log(3.0))]))
        assertClose(hand.output, [0.25, 0.75], "softmax by hand")
    }

    func testSiluAndGeluKnownValues() throws {
        let x: [Float] = [1, -1, 2, 0.5, -3]
        let geluRun = try ran(.unary(.gelu, n: 1, columns: 5, values: x))
        // 0.5 x (1 + tanh(√(2/π) (x + 0.044715 x³))), worked out in Double.
        assertClose(geluRun.output, [0.8411919906082768, -0.15880800939172324, 1.954597694087775, 0.34571400982514394,
                                  -0.0036373920817729943], "gelu known values")
        let siluRun = try ran(.unary(.silu, n: 1, columns: 5, values: [1, -2, 0.5, 4, -1]))
        // x / (1 + e^−x).
        assertClose(siluRun.output, [0.7310585786300049, -0.2384058440442351, 0.3112296656009273, 3.928055160151634,
                                  -0.2689414213699951], "silu known values")
        // And on random inputs, against the formulas.
        let randomGelu = try ran(.unary(.gelu, n: 4, columns: 33, amplitude: 6))
        assertClose(randomGelu.output, randomGelu.inputs[0].map { geluTanh(Double($0)) }, "gelu random")
        let randomSilu = try ran(.unary(.silu, n: 4, columns: 33, amplitude: 8))
        assertClose(randomSilu.output, randomSilu.inputs[0].map { silu(Double($0)) }, "silu random")
    }

    func testSwigluAndGeglu() throws {
        let swiglu = try ran(.gated(.swiglu, n: 3, columns: 40))
        assertClose(swiglu.output, zip(swiglu.inputs[0], swiglu.inputs[1]).map { silu(Double($0)) * Double($1) }, "swiglu")
        let geglu = try ran(.gated(.geglu, n: 3, columns: 40))
        assertClose(geglu.output, zip(geglu.inputs[0], geglu.inputs[1]).map { geluTanh(Double($0)) * Double($1) }, "geglu")
    }

    func testAddAndMulBroadcasting() throws {
        for operand in [OpCase.Operand.same, .weightVector, .rowVector] {
            let ops: [(Op, (Double, Double) -> Double)] = [(.add, { $0 + $1 }), (.mul, { $0 * $1 })]
            for (op, f) in ops {
                let (n, c) = (4, 13)
                let run = try ran(.binary(op, n: n, columns: c, operand: operand))
                let a = run.inputs[0], b = run.inputs[1]
                XCTAssertEqual(b.count, operand == .same ? n * c : c, "\(op) \(operand.rawValue): operand size")
                let expected = (0..<n * c).map { i in f(Double(a[i]), Double(operand == .same ? b[i] : b[i % c])) }
                assertClose(run.output, expected, "\(op.kind.rawValue) with \(operand.rawValue)")
            }
        }
    }

    func testScaleAndSoftcap() throws {
        let scaled = try ran(.unary(.scale(-2.5), n: 2, columns: 9))
        assertClose(scaled.output, scaled.inputs[0].map { -2.5 * Double($0) }, "scale")
        let capped = try ran(.unary(.softcap(5), n: 3, columns: 21, amplitude: 40))
        assertClose(capped.output, capped.inputs[0].map { 5 * tanh(Double($0) / 5) }, "softcap")
        XCTAssert(capped.output.allSatisfy { abs($0) <= 5 }, "softcap stays within ±5")
        // By hand: 5 · tanh(5 / 5) = 5 · 0.7615941559557649.
        let hand = try ran(.unary(.softcap(5), n: 1, columns: 1, values: [5]))
        assertClose(hand.output, [3.8079707797788245], "softcap by hand")
    }

    func testRowsCopiesTheChosenRows() throws {
        let run = try ran(.rows(n: 6, columns: 5, start: 2, count: 3))
        XCTAssertEqual(run.output, Array(run.inputs[0][10..<25]), "rows 2..<5")
        let last = try ran(.rows(n: 4, columns: 7, start: 3, count: 1))
        XCTAssertEqual(last.output, Array(last.inputs[0][21..<28]), "last row")
    }

    // MARK: - embed

    func testEmbedPicksRowsAndScales() throws {
        let tokens: [Int32] = [3, 0, 3, 9, 5]
        for format in WeightFormat.allCases {
            let d = format.isQuantized ? format.blockSize : 6
            for scale: Float in [1, 4.5] {
                let run = try ran(.embed(format, vocabulary: 10, d: d, tokens: tokens, scale: scale))
                let table = run.inputs[0]
                // The table row of each token, times the scale (a Float product, as the op defines it).
                let expected = tokens.flatMap { t in table[Int(t) * d ..< (Int(t) + 1) * d].map { scale == 1 ? $0 : $0 * scale } }
                XCTAssertEqual(run.output.map(\.bitPattern), expected.map(\.bitPattern), "embed \(format) scale \(scale)")
            }
        }
    }

    func testEmbedRejectsTokensOutsideTheVocabulary() throws {
        for bad: Int32 in [5, 1000, -1] {
            XCTAssertThrowsError(try OpHarness.run(.embed(.f32, vocabulary: 5, d: 4, tokens: [1, bad]), on: reference), "token \(bad)") { error in
                guard case ExecutionError.tokenOutOfRange(let token, let size) = error else {
                    return XCTFail("token \(bad): expected tokenOutOfRange, got \(error)")
                }
                XCTAssertEqual(token, bad)
                XCTAssertEqual(size, 5)
            }
        }
    }

    // MARK: - kvWrite

    func testKVWriteWritesAtThePassPositions() throws {
        // The cache is a ring: position p goes to row p % capacity (the last case wraps 8 and 9 to 0 and 1).
        for (n, start, columns, capacity) in [(1, 0, 8, 3), (3, 4, 5, 9), (2, 7, 6, 9), (3, 7, 4, 8)] {
            let run = try ran(.kvWrite(n: n, start: start, columns: columns, capacity: capacity))
            let cacheSize = capacity * columns
            for (c, name) in ["K", "V"].enumerated() {
                let written = run.inputs[c], before = run.cachesBefore[c]
                var expected = before
                for r in 0..<n {
                    let row = (start + r) % capacity
                    expected.replaceSubrange(row * columns ..< (row + 1) * columns, with: written[r * columns ..< (r + 1) * columns])
                }
                let cache = Array(run.output[c * cacheSize ..< (c + 1) * cacheSize])
                XCTAssertEqual(cache, expected, "\(name) cache after kvWrite of \(n) rows at \(start) (capacity \(capacity))")
                if start + n <= capacity {
                    // Earlier rows kept, later rows still empty.
                    XCTAssert(cache[..<(start * columns)].allSatisfy { $0 != 0 }, "\(name): rows before \(start) kept")
                    XCTAssert(cache[((start + n) * columns)...].allSatisfy { $0 == 0 }, "\(name): rows after \(start + n) untouched")
                }
            }
        }
    }

    func testMoreRowsThanTheCacheHoldsIsContextOverflow() throws {
        // kvWrite of 5 rows into a cache of 4.
        XCTAssertThrowsError(try OpHarness.run(.kvWrite(n: 5, start: 0, columns: 4, capacity: 4), on: reference)) { error in
            guard case ExecutionError.contextOverflow(let needed, let capacity) = error else {
                return XCTFail("kvWrite: expected contextOverflow, got \(error)")
            }
            XCTAssertEqual([needed, capacity], [5, 4], "kvWrite")
        }
        // Exactly full is fine.
        XCTAssertNoThrow(try OpHarness.run(.kvWrite(n: 4, start: 0, columns: 4, capacity: 4), on: reference))
        // Attention whose queries see positions 0...4 (no window) from a cache of 4 rows.
        let attention = AttentionParameters(heads: 2, kvHeads: 1, headDim: 4, scale: 0.5)
        XCTAssertThrowsError(try OpHarness.run(.attention(attention, n: 2, start: 3, capacity: 4), on: reference)) { error in
            guard case ExecutionError.contextOverflow(let needed, let capacity) = error else {
                return XCTFail("attention: expected contextOverflow, got \(error)")
            }
            XCTAssertEqual([needed, capacity], [5, 4], "attention")
        }
    }

    // MARK: - Helpers

    private func silu(_ x: Double) -> Double { x / (1 + exp(-x)) }
    private func geluTanh(_ x: Double) -> Double { 0.5 * x * (1 + tanh((2 / Double.pi).squareRoot() * (x + 0.044715 * x * x * x))) }

    /// Runs `opCase` on the reference; fails when it is refused or leaves a NaN.
    private func ran(_ opCase: OpCase, file: StaticString = #filePath, line: UInt = #line) throws -> OpRun {
        guard case .ran(let run) = try OpHarness.run(opCase, on: reference) else {
            XCTFail("the reference refuses \(opCase)", file: file, line: line)
            throw XCTSkip("refused")
        }
        let nans = run.output.filter(\.isNaN).count
        XCTAssertEqual(nans, 0, "\(opCase): \(nans) NaN outputs (unwritten elements)", file: file, line: line)
        return run
    }

    /// Fails unless every |actual − expected| ≤ relativeTolerance · (|expected| + 1e-3 · max |expected|),
    /// naming the worst element.
    private func assertClose(_ actual: [Float], _ expected: [Double], _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        guard actual.count == expected.count else {
            return XCTFail("\(what): \(actual.count) values, expected \(expected.count)", file: file, line: line)
        }
        let floor = 1e-3 * (expected.map(abs).max() ?? 0)
        var worst: (excess: Double, index: Int)?
        for i in actual.indices {
            let allowed = relativeTolerance * (abs(expected[i]) + floor)
            let excess = abs(Double(actual[i]) - expected[i]) / allowed
            if !(excess <= 1), excess > (worst?.excess ?? 0) || actual[i].isNaN { worst = (excess, i) }
        }
        if let (excess, i) = worst {
            XCTFail("\(what): [\(i)] is \(actual[i]), expected \(expected[i]) (\(excess)× the tolerance)", file: file, line: line)
        }
    }
}
