
/// GGML's Q4_K: a super-block of 256 elements in 144 bytes: eight sub-blocks of 32 elements, each
/// with its own 6-bit scale and 6-bit minimum, which are in turn scaled by two f16 numbers.
///
///     offset  bytes  field
///          0      2  d       f16 scale of the sub-block scales
///          2      2  dmin    f16 scale of the sub-block minimums
///          4     12  scales  eight (scale, min) pairs of 6 bits each, packed as below
///         16    128  qs      4-bit quants
///
/// The 12 scale bytes, for sub-blocks 0–3 (A–D, a–d) and 4–7 (E–H, e–h); capitals are scales,
/// lower case minimums; each letter is one bit of that field:
///
///     byte 0–3    EEAAAAAA FFBBBBBB GGCCCCCC HHDDDDDD   low 6 bits: scale 0–3; top 2: scale 4–7 bits 4–5
///     byte 4–7    eeaaaaaa ffbbbbbb ggcccccc hhdddddd   low 6 bits: min 0–3;   top 2: min 4–7 bits 4–5
///     byte 8–11   eeeeEEEE ffffFFFF ggggGGGG hhhhHHHH   low nibble: scale 4–7 bits 0–3; high: min 4–7 bits 0–3
///
/// The quants come in four groups of 32 bytes; group g (bytes 32g ..< 32g + 32) holds sub-block 2g
/// in its low nibbles (elements 64g + l) and sub-block 2g + 1 in its high nibbles (64g + 32 + l).
///
///     x = (d · scale[s]) · q - (dmin · min[s])    (products first, then the difference)
///
/// As ggml's `dequantize_row_q4_K` with `get_scale_min_k4`.
enum Q4KBlock {
    static let elements = 256
    static let bytes = 144

    /// The 6-bit scale and minimum of sub-block `j` (0..<8) from the 12 packed bytes at `scales`.
    @inline(__always)
    static func scaleAndMin(_ j: Int, _ scales: UnsafeRawPointer) -> (scale: UInt8, min: UInt8) {
        let q = { (i: Int) in scales.load(fromByteOffset: i, as: UInt8.self) }
        if j < 4 {
            return (q(j) & 63, q(j + 4) & 63)
        }
        let scale = (q(j + 4) & 0x0F) | ((q(j - 4) >> 6) << 4)
        let min = (q(j + 4) >> 4) | ((q(j) >> 6) << 4)
        return (scale, min)
    }

    /// Writes the super-block's 256 elements to `y[0..<256]`.
    @inline(__always)
    static func decode(_ block: UnsafeRawPointer, into y: UnsafeMutablePointer<Float>) {
        let d = HalfFloat.float(fromFP16: UInt16(littleEndian: block.loadUnaligned(as: UInt16.self)))
        let dmin = HalfFloat.float(fromFP16: UInt16(littleEndian: block.loadUnaligned(fromByteOffset: 2, as: UInt16.self)))
        let scales = block + 4
        let qs = block + 16
        for group in 0..<4 {
            let (scaleLow, minLow) = scaleAndMin(2 * group, scales)
            let (scaleHigh, minHigh) = scaleAndMin(2 * group + 1, scales)
            let d1 = d * Float(scaleLow), m1 = dmin * Float(minLow)
            let d2 = d * Float(scaleHigh), m2 = dmin * Float(minHigh)
            let q = qs + 32 * group
            let out = y + 64 * group
            for l in 0..<32 {
                let byte = q.load(fromByteOffset: l, as: UInt8.self)
                out[l] = d1 * Float(byte & 0x0F) - m1
                out[l + 32] = d2 * Float(byte >> 4) - m2
            }
        }
    }
}
