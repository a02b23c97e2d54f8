
/// GGML's Q6_K: a super-block of 256 elements in 210 bytes: sixteen sub-blocks of 16 elements, each
/// with a signed 8-bit scale, and 6-bit quants centred on 32, split into a low nibble and 2 high bits.
///
///     offset  bytes  field
///          0    128  ql      low 4 bits of the quants
///        128     64  qh      high 2 bits of the quants, four to a byte
///        192     16  scales  int8 scale of each 16-element sub-block
///        208      2  d       f16 scale of the scales
///
/// The block is two halves of 128 elements; half h uses ql[64h ..< 64h + 64], qh[32h ..< 32h + 32]
/// and scales[8h ..< 8h + 8]. Within a half, for l in 0..<32 (s = l / 16):
///
///     element      low 4 bits          high 2 bits         scale
///     l            ql[l]      & 0xF    qh[l] >> 0 & 3      scales[s]
///     l + 32       ql[l + 32] & 0xF    qh[l] >> 2 & 3      scales[s + 2]
///     l + 64       ql[l]      >> 4     qh[l] >> 4 & 3      scales[s + 4]
///     l + 96       ql[l + 32] >> 4     qh[l] >> 6 & 3      scales[s + 6]
///
///     x = (d · scale) · (q - 32)
///
/// As ggml's `dequantize_row_q6_K`.
enum Q6KBlock {
    static let elements = 256
    static let bytes = 210

    /// Writes the super-block's 256 elements to `y[0..<256]`.
    @inline(__always)
    static func decode(_ block: UnsafeRawPointer, into y: UnsafeMutablePointer<Float>) {
        let d = HalfFloat.float(fromFP16: UInt16(littleEndian: block.loadUnaligned(fromByteOffset: 208, as: UInt16.self)))
        for half in 0..<2 {
            let ql = block + 64 * half
            let qh = block + 128 + 32 * half
            let scales = block + 192 + 8 * half
            let out = y + 128 * half
            let scale = { (i: Int) in Float(scales.load(fromByteOffset: i, as: Int8.self)) }
            for l in 0..<32 {
                let s = l / 16
                let low0 = ql.load(fromByteOffset: l, as: UInt8.self)
                let low32 = ql.load(fromByteOffset: l + 32, as: UInt8.self)
                let high = qh.load(fromByteOffset: l, as: UInt8.self)
                let q1 = Int32((low0 & 0x0F) | ((high >> 0) & 3) << 4) - 32
                let q2 = Int32((low32 & 0x0F) | ((high >> 2) & 3) << 4) - 32
                let q3 = Int32((low0 >> 4) | ((high >> 4) & 3) << 4) - 32
                let q4 = Int32((low32 >> 4) | ((high >> 6) & 3) << 4) - 32
                out[l] = d * scale(s) * Float(q1)
                out[l + 32] = d * scale(s + 2) * Float(q2)
                out[l + 64] = d * scale(s + 4) * Float(q3)
                out[l + 96] = d * scale(s + 6) * Float(q4)
            }
        }
    }
}
