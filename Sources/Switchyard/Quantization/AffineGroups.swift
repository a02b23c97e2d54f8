/// The block formats whose every group of 32 consecutive elements is affine in small integer
/// codes: x = f32(q·scale + offset), with q·scale exact in f32, so x can be rebuilt bit for bit
/// from the codes and one (scale, offset) pair per group — the form a unit that keeps weights
/// compressed and expands them as it computes (a fixed-function accelerator) wants.
///
/// | format | codes | scale | offset |
/// | --- | --- | --- | --- |
/// | Q4_0 | 4-bit, 0…15 | d | −8·d |
/// | Q4_1 | 4-bit, 0…15 | d | m |
/// | Q4_K | 4-bit, 0…15 | d·scale[s] | −(dmin·min[s]) |
/// | Q5_0 | 8-bit, 0…31 | d | −16·d |
/// | Q8_0 | 8-bit, −128…127 | d | 0 |
///
/// Every product and the offsets are exact in f32 (fp16 scales of 11 significant bits times codes
/// of at most 8 bits, and Q4_K's 6-bit sub-block scales), so f32(q·scale + offset) is ggml's value.
public enum AffineGroups {
    /// Bits per code for `format` (4 or 8), or nil when its groups are not of this form (plain
    /// floats; Q6_K, whose sub-blocks are 16 elements).
    public static func codeBits(_ format: WeightFormat) -> Int? {
        switch format {
        case .q4_0, .q4_1, .q4K: return 4
        case .q5_0, .q8_0: return 8
        case .f32, .f16, .bf16, .q6K: return nil
        }
    }

    /// The (scale, offset) of group `group` (elements 32·group ..< 32·group + 32) of the row at
    /// `row`, in `format` (one `codeBits` accepts).
    public static func parameters(_ format: WeightFormat, row: UnsafeRawPointer, group: Int) -> (scale: Float, offset: Float) {
        func half(_ p: UnsafeRawPointer, _ at: Int) -> Float {
            HalfFloat.float(fromFP16: UInt16(littleEndian: p.loadUnaligned(fromByteOffset: at, as: UInt16.self)))
        }
        switch format {
        case .q4_0:
            let d = half(row + group * Q4_0Block.bytes, 0)
            return (d, -8 * d)
        case .q4_1:
            let block = row + group * Q4_1Block.bytes
            return (half(block, 0), half(block, 2))
        case .q5_0:
            let d = half(row + group * Q5_0Block.bytes, 0)
            return (d, -16 * d)
        case .q8_0:
            return (half(row + group * Q8_0Block.bytes, 0), 0)
        case .q4K:
            let block = row + group / 8 * Q4KBlock.bytes
            let (scale, min) = Q4KBlock.scaleAndMin(group % 8, block + 4)
            return (half(block, 0) * Float(scale), -(half(block, 2) * Float(min)))
        case .f32, .f16, .bf16, .q6K:
            preconditionFailure("AffineGroups: \(format) is not affine in groups of 32")
        }
    }
}
