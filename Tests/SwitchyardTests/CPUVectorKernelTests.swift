import Foundation
import XCTest
import SwitchyardCPUKernels
import SwitchyardModels

/// Pins the C vector functions of the fast CPU backend (Kernels/cpu/vector_*.c: activations,
/// softmax numerators, decode attention's scores and weighted values) to float64 formulas, on every
/// tier this CPU has, on random inputs of many lengths (tails included), with NaN-poisoned outputs
/// that must all be overwritten and a guard element past the end that must not be.
final class CPUVectorKernelTests: XCTestCase {
    override func tearDown() {
        sy_force_tier(nil)
        super.tearDown()
    }

    static let lengths = [1, 3, 7, 8, 9, 15, 16, 17, 64, 100, 576, 1031]

    static func random(_ n: Int, _ range: ClosedRange<Float>, _ rng: inout SeededGenerator) -> [Float] {
        (0..<n).map { _ in Float.random(in: range, using: &rng) }
    }

    static func silu(_ x: Double) -> Double { x / (1 + Foundation.exp(-x)) }
    static func gelu(_ x: Double) -> Double { 0.5 * x * (1 + tanh(0.797_884_560_802_865_4 * (x + 0.044715 * x * x * x))) }

    /// Runs `body(output)` on an output of n NaNs plus a guard, checks the guard and returns the n values.
    static func poisoned(_ n: Int, _ body: (UnsafeMutablePointer<Float>) -> Void) -> [Float] {
        var out = [Float](repeating: .nan, count: n + 1)
        out[n] = 12345
        out.withUnsafeMutableBufferPointer { body($0.baseAddress!) }
        XCTAssertEqual(out[n], 12345, "wrote past the end")
        return Array(out[..<n])
    }

    func testUnaryAndBinaryMatchFloat64() {
        var rng = SeededGenerator(seed: 0x5EED_0101)
        let unary: [(sy_unary_op, Float, String, (Double) -> Double)] = [
            (SY_UNARY_SCALE, 0.37, "scale", { 0.37 * $0 }),
            (SY_UNARY_SILU, 0, "silu", Self.silu),
            (SY_UNARY_GELU, 0, "gelu", Self.gelu),
            (SY_UNARY_SOFTCAP, 30, "softcap", { 30 * tanh($0 / 30) }),
            (SY_UNARY_EXP_MINUS, 2.5, "exp", { Foundation.exp($0 - 2.5) }),
        ]
        let binary: [(sy_binary_op, Float, String, (Double, Double) -> Double)] = [
            (SY_BINARY_ADD, 0, "add", { $0 + $1 }),
            (SY_BINARY_MUL, 0, "mul", { $0 * $1 }),
            (SY_BINARY_SWIGLU, 0, "swiglu", { Self.silu($0) * $1 }),
            (SY_BINARY_GEGLU, 0, "geglu", { Self.gelu($0) * $1 }),
            (SY_BINARY_SCALED_MUL, 0.125, "scaled mul", { $0 * 0.125 * $1 }),
        ]
        for tier in CPUKernelTests.tiers {
            sy_force_tier(tier)
            for n in Self.lengths {
                let a = Self.random(n, -12...12, &rng), b = Self.random(n, -3...3, &rng)
                for (op, param, name, f) in unary {
                    let y = Self.poisoned(n) { sy_unary_f32(op, param, a, $0, Int64(n)) }
                    for i in 0..<n {
                        let want = f(Double(a[i]))
                        XCTAssertEqual(Double(y[i]), want, accuracy: 4e-6 * max(1, abs(want)), "\(tier) \(name) n=\(n) x=\(a[i])")
                    }
                }
                for (op, param, name, f) in binary {
                    let y = Self.poisoned(n) { sy_binary_f32(op, param, a, b, $0, Int64(n)) }
                    for i in 0..<n {
                        let want = f(Double(a[i]), Double(b[i]))
                        XCTAssertEqual(Double(y[i]), want, accuracy: 4e-6 * max(1, abs(want)), "\(tier) \(name) n=\(n)")
                    }
                }
            }
            // NaN stays NaN, ±large saturate.
            let special: [Float] = [.nan, 200, -200]
            let y = Self.poisoned(3) { sy_unary_f32(SY_UNARY_SILU, 0, special, $0, 3) }
            XCTAssertTrue(y[0].isNaN, "\(tier): silu(NaN)")
            XCTAssertEqual(y[1], 200, "\(tier): silu(200)")
            XCTAssertEqual(y[2], 0, accuracy: 1e-30, "\(tier): silu(-200)")
        }
    }

    func testSoftmaxNumerators() {
        var rng = SeededGenerator(seed: 0x5EED_0102)
        for tier in CPUKernelTests.tiers {
            sy_force_tier(tier)
            for n in Self.lengths {
                let x = Self.random(n, -20...20, &rng)
                var y = x, maximum: Float = .nan
                let total = sy_softmax_numerators_f32(&y, Int64(n), &maximum)
                let m = Double(x.max()!)
                XCTAssertEqual(maximum, x.max()!, "\(tier) n=\(n)")
                var sum = 0.0
                for i in 0..<n {
                    let want = Foundation.exp(Double(x[i]) - m)
                    sum += want
                    XCTAssertEqual(Double(y[i]), want, accuracy: 4e-6 * max(1, want), "\(tier) n=\(n)")
                }
                XCTAssertEqual(Double(total), sum, accuracy: 1e-5 * sum, "\(tier) n=\(n)")
            }
        }
    }

    /// Scores and weighted values over a ring cache whose span wraps, with grouped heads.
    func testDecodeAttentionLoops() {
        var rng = SeededGenerator(seed: 0x5EED_0103)
        for tier in CPUKernelTests.tiers {
            sy_force_tier(tier)
            for (heads, group, hd) in [(9, 3, 64), (4, 4, 256), (2, 1, 13), (8, 2, 40)] {
                let kvWidth = heads / group * hd, stride = kvWidth + 5, cacheRows = 37, first = 29
                let (i0, i1, ld) = (3, 31, 33)
                let q = Self.random(heads * hd, -1...1, &rng)
                let keys = Self.random(cacheRows * stride, -1...1, &rng), values = Self.random(cacheRows * stride, -1...1, &rng)
                let scale: Float = 0.125
                var scores = [Float](repeating: .nan, count: heads * ld)
                sy_attention_scores(q, Int64(heads), Int64(group), Int64(hd), scale, keys, Int64(stride), Int64(cacheRows),
                                    Int64(first), Int64(i0), Int64(i1), &scores, Int64(ld))
                for h in 0..<heads {
                    for i in 0..<ld {
                        guard i >= i0 && i < i1 else { XCTAssertTrue(scores[h * ld + i].isNaN, "\(tier): score outside the range written"); continue }
                        let row = (first + i) % cacheRows
                        var want = 0.0
                        for d in 0..<hd { want += Double(q[h * hd + d]) * Double(keys[row * stride + (h / group) * hd + d]) }
                        want *= Double(scale)
                        XCTAssertEqual(Double(scores[h * ld + i]), want, accuracy: 1e-5 * Double(hd), "\(tier) heads=\(heads) h=\(h) i=\(i)")
                    }
                }
                var weights = [Float](repeating: .nan, count: heads * ld)
                for h in 0..<heads { for i in i0..<i1 { weights[h * ld + i] = Float.random(in: 0...1, using: &rng) } }
                let start = Self.random(heads * hd, -1...1, &rng)
                var out = start
                sy_attention_values(weights, Int64(ld), Int64(heads), Int64(group), Int64(hd), values, Int64(stride), Int64(cacheRows),
                                    Int64(first), Int64(i0), Int64(i1), &out)
                for h in 0..<heads {
                    for d in 0..<hd {
                        var want = Double(start[h * hd + d])
                        for i in i0..<i1 {
                            let value = values[((first + i) % cacheRows) * stride + (h / group) * hd + d]
                            want += Double(weights[h * ld + i]) * Double(value)
                        }
                        XCTAssertEqual(Double(out[h * hd + d]), want, accuracy: 1e-5 * Double(i1 - i0), "\(tier) heads=\(heads) h=\(h) d=\(d)")
                    }
                }
            }
        }
    }
}
