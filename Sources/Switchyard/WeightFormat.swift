/// How the elements of a weight tensor are stored: plain floats or one of GGML's block-quantized
/// layouts. Quantized formats pack `blockSize` consecutive elements of a row into `blockBytes`
/// bytes; a row's length must be a multiple of `blockSize`.
public enum WeightFormat: String, Sendable, CaseIterable, CustomStringConvertible {
    case f32, f16, bf16
    case q4_0, q4_1, q5_0, q8_0
    case q4K = "q4_K"
    case q6K = "q6_K"

    /// Elements per block (1 for plain float formats).
    public var blockSize: Int {
        switch self {
        case .f32, .f16, .bf16: return 1
        case .q4_0, .q4_1, .q5_0, .q8_0: return 32
        case .q4K, .q6K: return 256
        }
    }

    /// Bytes per block.
    public var blockBytes: Int {
        switch self {
        case .f32: return 4
        case .f16, .bf16: return 2
        case .q4_0: return 18   // f16 d, 16 bytes of nibbles
        case .q4_1: return 20   // f16 d, f16 m, 16 bytes of nibbles
        case .q5_0: return 22   // f16 d, 4 bytes of high bits, 16 bytes of nibbles
        case .q8_0: return 34   // f16 d, 32 int8
        case .q4K: return 144   // f16 d, f16 dmin, 12 bytes of 6-bit scales/mins, 128 bytes of nibbles
        case .q6K: return 210   // 128 bytes low nibbles, 64 bytes high 2-bits, 16 int8 scales, f16 d
        }
    }

    /// Whether the format is block-quantized (as opposed to plain floats).
    public var isQuantized: Bool { blockSize > 1 }

    /// Bytes needed for `elements` elements, or nil when `elements` is not a whole number of blocks
    /// or the size overflows.
    public func byteCount(elements: Int) -> Int? {
        guard elements >= 0, elements % blockSize == 0 else { return nil }
        let (bytes, overflow) = (elements / blockSize).multipliedReportingOverflow(by: blockBytes)
        return overflow ? nil : bytes
    }

    public var description: String { rawValue.uppercased() }
}
