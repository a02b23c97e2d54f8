#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The cos/sin values RoPE rotates by, computed in Double as the reference does and rounded to
/// Float: for row r (position start + r) and pair i of `dims` rotated dimensions,
/// θ = (start + r) · scale · base^(−2i / dims); cos at [(r·half + i)·2], sin at [(r·half + i)·2 + 1].
/// Backends that do not rotate in Double (the BLAS kernels, the GPU, whose own sin/cos may be off
/// by 2⁻¹¹) read these.
public enum RopeTable {
    public static func values(start: Int, rows: Int, dims: Int, base: Float, scale: Float) -> [Float] {
        let half = dims / 2
        var table = [Float](repeating: 0, count: rows * half * 2)
        var inverse = [Double](repeating: 0, count: half)
        for i in 0..<half { inverse[i] = pow(Double(base), -2 * Double(i) / Double(dims)) }
        for r in 0..<rows {
            let position = Double(start + r) * Double(scale)
            for i in 0..<half {
                let theta = position * inverse[i]
                table[(r * half + i) * 2] = Float(cos(theta))
                table[(r * half + i) * 2 + 1] = Float(sin(theta))
            }
        }
        return table
    }
}
