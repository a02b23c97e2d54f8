
/// GGML's Q5_0: 32 elements in 22 bytes, 5-bit quants centred on 16, one f16 scale. The low four
/// bits of each quant are packed like Q4_0's; the fifth bits sit together in one 32-bit word.
///
///     offset  bytes  field
///          0      2  d    f16 scale
///          2      4  qh   u32, little-endian: bit j is the fifth bit of element j
///          6     16  qs   byte j: low 4 bits of element j (low nibble) and of element j + 16 (high nibble)
///
///     q[j] = (low nibble) | (bit j of qh) << 4
///     x[j] = (q[j] - 16) · d
///
/// As ggml's `dequantize_row_q5_0` (whose `(qh >> (j + 12)) & 0x10` is bit j + 16 moved to bit 4).
enum Q5_0Block {
    static let elements = 32
    static let bytes = 22

    /// Writes the block's 32 elements to `y[0..<32]`.
    @inline(__always)
    static func decode(_ block: UnsafeRawPointer, into y: UnsafeMutablePointer<Float>) {
        let d = HalfFloat.float(fromFP16: UInt16(littleEndian: block.loadUnaligned(as: UInt16.self)))
        let qh = UInt32(littleEndian: block.loadUnaligned(fromByteOffset: 2, as: UInt32.self))
        let qs = block + 6
        for j in 0..<16 {
            let byte = UInt32(qs.load(fromByteOffset: j, as: UInt8.self))
            let high0 = (qh >> UInt32(j)) & 1
            let high1 = (qh >> UInt32(j + 16)) & 1
            let x0 = Int32(bitPattern: (byte & 0x0F) | (high0 << 4)) - 16
            let x1 = Int32(bitPattern: (byte >> 4) | (high1 << 4)) - 16
            y[j] = Float(x0) * d
            y[j + 16] = Float(x1) * d
        }
    }
}
