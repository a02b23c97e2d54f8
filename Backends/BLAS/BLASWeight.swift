import Switchyard
import SwitchyardCPUKernels

/// A weight as the BLAS backend keeps it: the file's blocks where they lie in the mapping (the SIMD
/// kernels read GGUF block layouts directly, so decode streams exactly the file's bytes and no
/// copy is made), plus, for small tensors (norm weights, ≤ 64 K elements), an f32 copy.
/// Sendable: filled once by `prepare`, read-only afterwards.
final class BLASWeight: BackendTensor, @unchecked Sendable {
    let weight: WeightTensor
    let format: sy_format
    /// Dequantized copy for small tensors.
    let floats: UnsafeMutableBufferPointer<Float>?
    var shape: [Int] { weight.shape }
    var rows: Int { weight.rowCount }
    var columns: Int { weight.rowLength }

    init(_ weight: WeightTensor) {
        self.weight = weight
        format = sy_format(weight.format)
        if weight.elementCount <= 65_536 {
            let values = UnsafeMutableBufferPointer<Float>.allocate(capacity: weight.elementCount)
            sy_dequantize_row(format, weight.bytes.baseAddress!, Int64(weight.elementCount), values.baseAddress!)
            floats = values
        } else {
            floats = nil
        }
    }

    deinit { floats?.deallocate() }

    /// Start of row `r`'s blocks.
    @inline(__always) func row(_ r: Int) -> UnsafeRawPointer { weight.bytes.baseAddress! + r * weight.rowBytes }

    /// Dequantizes rows `range` into `destination` (rows × columns floats).
    func dequantize(rows range: Range<Int>, into destination: UnsafeMutablePointer<Float>) {
        for (i, r) in range.enumerated() {
            sy_dequantize_row(format, row(r), Int64(columns), destination + i * columns)
        }
    }
}

extension sy_format {
    /// The kernels' name for a weight format.
    public init(_ format: WeightFormat) {
        switch format {
        case .f32: self = SY_F32
        case .f16: self = SY_F16
        case .bf16: self = SY_BF16
        case .q4_0: self = SY_Q4_0
        case .q4_1: self = SY_Q4_1
        case .q5_0: self = SY_Q5_0
        case .q8_0: self = SY_Q8_0
        case .q4K: self = SY_Q4_K
        case .q6K: self = SY_Q6_K
        }
    }
}
