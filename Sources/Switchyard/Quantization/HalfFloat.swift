/// Conversions between `Float` and the two 16-bit float formats that model files and accelerators
/// use: IEEE 754 binary16 (GGML's F16, "half") and bfloat16 (GGML's BF16). Pure bit manipulation,
/// so the result never depends on whether the CPU has F16C or on the compiler's `Float16` support.
///
/// Layouts (sign, exponent, mantissa bits):
///
///     binary16   1 | 5 (bias 15)  | 10
///     bfloat16   1 | 8 (bias 127) |  7     (the upper half of a Float)
///     Float      1 | 8 (bias 127) | 23
///
/// Every binary16 and bfloat16 value is exactly representable as a `Float`, so decoding is exact.
/// Decoding matches ggml's `ggml_compute_fp16_to_fp32` / `ggml_compute_bf16_to_fp32` bit for bit,
/// including subnormals, infinities, signed zeros and NaN payloads. Encoding rounds to nearest,
/// ties to even, as ggml's `ggml_compute_fp32_to_fp16` / `ggml_compute_fp32_to_bf16` do.
public enum HalfFloat {
    /// The value of the binary16 number with bit pattern `bits`.
    ///
    /// NaNs keep their payload and come out quiet (the quiet bit, 0x0040_0000, is set), as from
    /// ggml's conversion, which passes NaNs through a float multiply, and from the hardware's
    /// `vcvtph2ps`. (numpy's `astype(float32)` keeps a signalling NaN signalling: the one place the
    /// `gguf` package differs from ggml.)
    @inlinable
    public static func float(fromFP16 bits: UInt16) -> Float {
        let sign = UInt32(bits & 0x8000) << 16
        let exponent = UInt32(bits >> 10) & 0x1F
        let mantissa = UInt32(bits & 0x03FF)
        switch exponent {
        case 0:
            // Zero or subnormal: mantissa · 2^-24, exact in a Float (a normal Float, at that).
            let magnitude = Float(mantissa) * 0x1p-24
            return Float(bitPattern: sign | magnitude.bitPattern)
        case 0x1F:
            // Infinity (mantissa 0) or NaN (payload moved to the top of the Float mantissa, quieted).
            let quiet: UInt32 = mantissa == 0 ? 0 : 0x0040_0000
            return Float(bitPattern: sign | 0x7F80_0000 | quiet | (mantissa << 13))
        default:
            // Normal: rebias the exponent from 15 to 127 and widen the mantissa.
            return Float(bitPattern: sign | ((exponent + (127 - 15)) << 23) | (mantissa << 13))
        }
    }

    /// The value of the bfloat16 number with bit pattern `bits`: the upper 16 bits of a Float,
    /// so every value, NaN payloads included, comes through unchanged.
    @inlinable
    public static func float(fromBF16 bits: UInt16) -> Float {
        Float(bitPattern: UInt32(bits) << 16)
    }

    /// The binary16 bit pattern nearest to `value` (ties to even). Magnitudes from 65520 up become
    /// infinity; those below 2^-25 (and 2^-25 itself, a tie) become a signed zero. A NaN stays NaN:
    /// quiet, with the top 9 bits of its payload kept.
    @inlinable
    public static func fp16(from value: Float) -> UInt16 {
        let bits = value.bitPattern
        let sign = UInt16(truncatingIfNeeded: (bits >> 16) & 0x8000)
        let magnitude = bits & 0x7FFF_FFFF
        if magnitude > 0x7F80_0000 {                       // NaN
            return sign | 0x7E00 | UInt16(truncatingIfNeeded: (magnitude >> 13) & 0x03FF)
        }
        if magnitude >= 0x477F_F000 {                      // ≥ 65520: rounds past the largest half
            return sign | 0x7C00
        }
        let exponent = magnitude >> 23                     // biased by 127
        if exponent >= 127 - 14 {                          // normal half: rebias, round 13 bits away
            var half = ((exponent - (127 - 15)) << 10) | ((magnitude >> 13) & 0x03FF)
            let dropped = magnitude & 0x1FFF
            if dropped > 0x1000 || (dropped == 0x1000 && half & 1 == 1) { half += 1 }
            return sign | UInt16(truncatingIfNeeded: half)
        }
        if magnitude <= 0x3300_0000 {                      // ≤ 2^-25: rounds to zero
            return sign
        }
        // Subnormal half: the value in units of 2^-24 is the full 24-bit significand shifted right
        // by 126 - exponent (14 through 24 places here); round the bits shifted out.
        let significand = (magnitude & 0x007F_FFFF) | 0x0080_0000
        let shift = 126 - exponent
        var half = significand >> shift
        let dropped = significand & ((1 << shift) - 1)
        let halfway: UInt32 = 1 << (shift - 1)
        if dropped > halfway || (dropped == halfway && half & 1 == 1) { half += 1 }
        return sign | UInt16(truncatingIfNeeded: half)
    }

    /// The bfloat16 bit pattern nearest to `value` (ties to even), as ggml's
    /// `ggml_compute_fp32_to_bf16`: large finite values may round to infinity; a NaN stays NaN,
    /// made quiet.
    @inlinable
    public static func bf16(from value: Float) -> UInt16 {
        let bits = value.bitPattern
        if bits & 0x7FFF_FFFF > 0x7F80_0000 {
            return UInt16(truncatingIfNeeded: bits >> 16) | 0x0040
        }
        let rounded = UInt64(bits) + 0x7FFF + UInt64((bits >> 16) & 1)
        return UInt16(truncatingIfNeeded: rounded >> 16)
    }
}
