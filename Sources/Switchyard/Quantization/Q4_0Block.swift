
/// GGML's Q4_0: 32 elements in 18 bytes, 4-bit quants centred on 8, one f16 scale.
///
///     offset  bytes  field
///          0      2  d    f16 scale
///          2     16  qs   byte j: element j in the low nibble, element j + 16 in the high nibble
///
///     x[j] = (q[j] - 8) · d
///
/// As ggml's `dequantize_row_q4_0`.
enum Q4_0Block {
    static let elements = 32
    static let bytes = 18

    /// Writes the block's 32 elements to `y[0..<32]`.
    @inline(__always)
    static func decode(_ block: UnsafeRawPointer, into y: UnsafeMutablePointer<Float>) {
        let d = HalfFloat.float(fromFP16: UInt16(littleEndian: block.loadUnaligned(as: UInt16.self)))
        let qs = block + 2
        for j in 0..<16 {
            let byte = qs.load(fromByteOffset: j, as: UInt8.self)
            let x0 = Int32(byte & 0x0F) - 8
            let x1 = Int32(byte >> 4) - 8
            y[j] = Float(x0) * d
            y[j + 16] = Float(x1) * d
        }
    }
}
