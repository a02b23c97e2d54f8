#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Switchyard

/// The unit's activation tables (docs/neural-accelerator.md, "Lookup tables"): fp16 entries at
/// evenly spaced points, linear interpolation in f32 (the product rounded before the add), the
/// result left in f32 for the op to round. Outside the table each function has its own rule.
struct LookupTable: Sendable {
    let entries: [Float]
    let low: Float
    /// Entries per unit of input (the reciprocal of the spacing, a power of two).
    let density: Float
    /// What the table gives for x ≥ the top of its range: the identity or the last entry.
    let aboveIsIdentity: Bool

    init(low: Float, high: Float, density: Float, aboveIsIdentity: Bool, _ f: (Double) -> Double) {
        let count = Int((high - low) * density) + 1
        entries = (0..<count).map { i in
            let x = Double(low) + Double(i) / Double(density)
            return HalfFloat.float(fromFP16: HalfFloat.fp16(from: Float(f(x))))
        }
        self.low = low
        self.density = density
        self.aboveIsIdentity = aboveIsIdentity
    }

    var high: Float { low + Float(entries.count - 1) / density }

    /// The table's value at `x` (before the op's fp16 rounding).
    @inline(__always)
    func callAsFunction(_ x: Float) -> Float {
        if x.isNaN { return x }
        if x >= high { return aboveIsIdentity ? x : entries[entries.count - 1] }
        if x < low { return 0 }
        let t = (x - low) * density
        let i = Int(t.rounded(.down))
        let u = t - Float(i)
        let step = entries[i + 1] - entries[i]
        let product = u * step
        return entries[i] + product
    }

    /// SiLU x·σ(x) over [−8, 8] in steps of 1/16; the identity above, 0 below.
    static let silu = LookupTable(low: -8, high: 8, density: 16, aboveIsIdentity: true) { x in x / (1 + exp(-x)) }
    /// GELU, tanh form, over [−8, 8] in steps of 1/16; the identity above, 0 below.
    static let gelu = LookupTable(low: -8, high: 8, density: 16, aboveIsIdentity: true) { x in
        0.5 * x * (1 + tanh((2 / Double.pi).squareRoot() * (x + 0.044715 * x * x * x)))
    }
    /// eˣ over [−16, 0] in steps of 1/64 (softmax's exponent, always ≤ 0); 0 below.
    static let exponential = LookupTable(low: -16, high: 0, density: 64, aboveIsIdentity: false) { x in exp(x) }
}
