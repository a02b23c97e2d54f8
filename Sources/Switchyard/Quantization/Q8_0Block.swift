
/// GGML's Q8_0: 32 elements in 34 bytes, signed 8-bit quants, one f16 scale.
///
///     offset  bytes  field
///          0      2  d    f16 scale
///          2     32  qs   int8, element j at byte j
///
///     x[j] = q[j] · d
///
/// As ggml's `dequantize_row_q8_0`.
enum Q8_0Block {
    static let elements = 32
    static let bytes = 34

    /// Writes the block's 32 elements to `y[0..<32]`.
    @inline(__always)
    static func decode(_ block: UnsafeRawPointer, into y: UnsafeMutablePointer<Float>) {
        let d = HalfFloat.float(fromFP16: UInt16(littleEndian: block.loadUnaligned(as: UInt16.self)))
        let qs = block + 2
        for j in 0..<32 {
            y[j] = Float(qs.load(fromByteOffset: j, as: Int8.self)) * d
        }
    }
}
