import Foundation
import Switchyard

/// The accelerator's error bounds per output element, derived in docs/neural-accelerator.md
/// ("Error bounds") from its arithmetic: every fp16 rounding h(x) = x(1 + δ) + η with |δ| ≤ u = 2⁻¹¹
/// and |η| ≤ 2⁻²⁵ (below the smallest normal), every f32 operation relative 2⁻²⁴, a sum of n terms
/// in f32 within γₙ = n·2⁻²⁴ / (1 − n·2⁻²⁴) of Σ|terms|, and the tables' interpolation and tail
/// errors. The conformance suite checks |accelerator − reference| ≤ bound for every element, on
/// the inputs the op saw (before the unit rounded them); nothing here is tuned to make it pass.
enum AcceleratorBounds {
    static let u = 0x1p-11
    static let tiny = 0x1p-25
    static func gamma(_ n: Int) -> Double { Double(n) * 0x1p-24 / (1 - Double(n) * 0x1p-24) }

    /// Roundings compound: k of them within k·u·(1 + u)ᵏ ≤ k·u·1.01 here, plus the f32 work.
    static func k(_ count: Int) -> Double { Double(count) * u * 1.01 + 4 * 0x1p-24 }

    /// SiLU and GELU tables (spacing 1/16): interpolation ≤ h²/8·max|f″| (0.5 for SiLU, 0.80 for
    /// GELU), the entries' own rounding ≤ u·(|f(x)| + h·max|f′|), the f32 index arithmetic
    /// (t = (x + 8)·16 off by ≤ 2⁻¹⁶, times a slope ≤ 1.13/16: < 2e-6), and the tails: for x ≥ 8 the
    /// identity is within 8e⁻⁸ < 2.7e-3 of SiLU; for x < −8 zero is within 2.7e-3 of SiLU (an input
    /// within one fp16 step of ±8 may land on either side).
    static func table(_ x: Double, silu: Bool) -> (value: Double, error: Double) {
        let value = silu ? x / (1 + exp(-x)) : 0.5 * x * (1 + tanh((2 / Double.pi).squareRoot() * (x + 0.044715 * x * x * x)))
        let curvature = silu ? 0.5 : 0.80
        var error = curvature / (16 * 16 * 8) + u * (abs(value) + 1.13 / 16) + 2e-6
        if abs(x) >= 8 - 1.0 / 128 { error += 2.7e-3 }
        return (value, error)
    }

    /// The exp table (spacing 1/64 over [−16, 0]): interpolation ≤ (1/64)²/8 = 3.05e-5, and 0 below
    /// −16 (e⁻¹⁶ < 1.2e-7); relatively, entries within u (1.02u once interpolated between two
    /// neighbours e^(1/64) apart) and the f32 index arithmetic within 2⁻¹⁹.
    static let expAbsolute = 1.0 / (64 * 64 * 8) + 1.2e-7

    /// Bounds for a softmax over `z` (already shifted so max z = 0) whose arguments are each off by
    /// at most `dz[i]`: p = e/S with e off relatively by (dz + u) and absolutely by `expAbsolute`.
    static func softmax(_ z: [Double], _ dz: [Double]) -> (p: [Double], bound: [Double]) {
        let e = z.map(exp), s = e.reduce(0, +)
        let relative = dz.map { (exp($0) - 1) + 1.02 * u + 0x1p-19 }
        let worst = relative.max() ?? 0
        let spread = worst + Double(z.count) * expAbsolute / s + gamma(z.count)
        let p = e.map { $0 / s }
        let bound = p.indices.map { i in p[i] * (relative[i] + spread) * 1.01 + expAbsolute / s * 1.01 + u * p[i] + tiny }
        return (p, bound)
    }

    /// The bound on every output element of `opCase` given the inputs it saw, or nil for a kind
    /// the accelerator does not run.
    static func bounds(_ opCase: OpCase, inputs: [[Float]], truth: [Float]) -> [Double]? {
        let x = inputs.first.map { $0.map(Double.init) } ?? []
        let y = truth.map(Double.init)
        switch opCase.op {
        case .add, .mul:
            let b = inputs[1].map(Double.init)
            return y.indices.map { i in
                let other = b[i % b.count]
                if case .add = opCase.op { return k(2) * (abs(x[i]) + abs(other)) + 3 * tiny }
                return k(3) * abs(x[i] * other) + 3 * tiny
            }
        case .scale(let f):
            return x.map { k(3) * abs($0 * Double(f)) + 2 * tiny }
        case .rows:
            return y.map { k(1) * abs($0) + tiny }
        case .kvWrite:
            return y.map { k(1) * abs($0) + tiny }
        case .silu, .gelu:
            let silu: Bool = { if case .silu = opCase.op { return true }; return false }()
            return x.map { v in
                let t = table(v, silu: silu)
                // An input off by u·|x| moves f by at most max|f′|·u·|x| (max|f′| < 1.13 for both).
                return 1.13 * u * abs(v) * 1.01 + t.error + k(1) * (abs(t.value) + t.error) + 2 * tiny
            }
        case .swiglu, .geglu:
            let silu: Bool = { if case .swiglu = opCase.op { return true }; return false }()
            let up = inputs[1].map(Double.init)
            return x.indices.map { i in
                let t = table(x[i], silu: silu)
                let gate = 1.13 * u * abs(x[i]) * 1.01 + t.error + k(1) * (abs(t.value) + t.error) + tiny
                return abs(up[i]) * (1 + u) * gate + k(2) * abs(t.value * up[i]) + 2 * tiny
            }
        case .rmsNorm:
            let width = inputs[1].count
            return y.map { (k(4) + gamma(width) / 2) * abs($0) + tiny }
        case .rope(let p):
            return ropeBounds(p, x, n: opCase.tokens.count, start: opCase.startPosition)
        case .matmul:
            let w = inputs[1].map(Double.init), kk = w.count / (y.count / opCase.tokens.count)
            let m = y.count / opCase.tokens.count
            var out = [Double](repeating: 0, count: y.count)
            for r in 0..<opCase.tokens.count {
                for j in 0..<m {
                    var magnitude = 0.0
                    for c in 0..<kk { magnitude += abs(x[r * kk + c] * w[j * kk + c]) }
                    out[r * m + j] = (k(2) + gamma(kk)) * magnitude + k(1) * abs(y[r * m + j]) + tiny
                }
            }
            return out
        case .softmax:
            let columns = y.count / opCase.tokens.count
            var out: [Double] = []
            for r in 0..<opCase.tokens.count {
                let row = Array(x[r * columns ..< (r + 1) * columns])
                let m = row.max()!
                let dz = row.map { u * (abs($0) + abs(m)) * 1.01 }
                out += softmax(row.map { $0 - m }, dz).bound
            }
            return out
        case .attention(let p):
            return attentionBounds(p, inputs, n: opCase.tokens.count, start: opCase.startPosition)
        default:
            return nil
        }
    }

    static func ropeBounds(_ p: RopeParameters, _ x: [Double], n: Int, start: Int) -> [Double] {
        var out = x.map { k(1) * abs($0) + tiny }   // dimensions passed through
        let half = p.rotatedDims / 2, width = p.heads * p.headDim
        for r in 0..<n {
            let position = Double(start + r) * Double(p.frequencyScale)
            for h in 0..<p.heads {
                for i in 0..<half {
                    let theta = position * pow(Double(p.base), -2 * Double(i) / Double(p.rotatedDims))
                    let (a, b) = p.layout == .normal ? (2 * i, 2 * i + 1) : (i, i + half)
                    let base = r * width + h * p.headDim
                    let magnitude = abs(x[base + a]) * max(abs(cos(theta)), abs(sin(theta))) + abs(x[base + b]) * max(abs(cos(theta)), abs(sin(theta)))
                    out[base + a] = k(3) * magnitude + 2 * tiny
                    out[base + b] = out[base + a]
                }
            }
        }
        return out
    }

    /// Scores s = q·k (each term's inputs rounded, f32 sum over d, rounded), t = h(s·h(scale)), the
    /// softmax above, and o = h(Σ p·v) with v rounded and an f32 sum over the visible rows.
    static func attentionBounds(_ p: AttentionParameters, _ inputs: [[Float]], n: Int, start: Int) -> [Double] {
        let q = inputs[0].map(Double.init), keys = inputs[1].map(Double.init), values = inputs[2].map(Double.init)
        let kvWidth = p.kvHeads * p.headDim, capacity = keys.count / kvWidth, d = p.headDim
        var out = [Double](repeating: 0, count: q.count)
        for r in 0..<n {
            let position = start + r
            let oldest = p.window.map { max(0, position - $0 + 1) } ?? 0
            let visible = (oldest...position).map { $0 % capacity }
            for h in 0..<p.heads {
                let kv = h / (p.heads / p.kvHeads)
                let qb = r * p.heads * d + h * d
                var t: [Double] = [], dt: [Double] = []
                for row in visible {
                    var s = 0.0, magnitude = 0.0
                    for i in 0..<d {
                        let term = q[qb + i] * keys[row * kvWidth + kv * d + i]
                        s += term; magnitude += abs(term)
                    }
                    let ds = (k(2) + gamma(d)) * magnitude + k(1) * abs(s) + tiny
                    let scaled = s * Double(p.scale)
                    t.append(scaled)
                    dt.append(abs(Double(p.scale)) * ds * 1.01 + k(2) * abs(scaled) + tiny)
                }
                let m = t.max()!, dm = dt.max()!
                let (probabilities, pBound) = softmax(t.map { $0 - m }, dt.map { ($0 + dm) * 1.01 })
                for i in 0..<d {
                    var o = 0.0, spread = 0.0, magnitude = 0.0
                    for (j, row) in visible.enumerated() {
                        let v = values[row * kvWidth + kv * d + i]
                        o += probabilities[j] * v
                        spread += pBound[j] * abs(v) * (1 + u)
                        magnitude += probabilities[j] * abs(v)
                    }
                    out[qb + i] = spread + (k(1) + gamma(visible.count)) * magnitude * 1.01 + k(1) * abs(o) + tiny
                }
            }
        }
        return out
    }
}
