
/// GGML's Q4_1: 32 elements in 20 bytes, unsigned 4-bit quants with an f16 scale and an f16 offset
/// (the block's minimum).
///
///     offset  bytes  field
///          0      2  d    f16 scale
///          2      2  m    f16 minimum
///          4     16  qs   byte j: element j in the low nibble, element j + 16 in the high nibble
///
///     x[j] = q[j] · d + m        (a product, then a sum: no fused multiply-add)
///
/// As ggml's `dequantize_row_q4_1`.
enum Q4_1Block {
    static let elements = 32
    static let bytes = 20

    /// Writes the block's 32 elements to `y[0..<32]`.
    @inline(__always)
    static func decode(_ block: UnsafeRawPointer, into y: UnsafeMutablePointer<Float>) {
        let d = HalfFloat.float(fromFP16: UInt16(littleEndian: block.loadUnaligned(as: UInt16.self)))
        let m = HalfFloat.float(fromFP16: UInt16(littleEndian: block.loadUnaligned(fromByteOffset: 2, as: UInt16.self)))
        let qs = block + 4
        for j in 0..<16 {
            let byte = qs.load(fromByteOffset: j, as: UInt8.self)
            y[j] = Float(byte & 0x0F) * d + m
            y[j + 16] = Float(byte >> 4) * d + m
        }
    }
}
