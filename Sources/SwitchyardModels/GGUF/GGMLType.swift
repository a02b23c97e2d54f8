import Switchyard

/// GGML's tensor type ids as stored in a GGUF tensor header, and their mapping to the formats
/// Switchyard can compute with.
public enum GGMLType {
    /// Names of every ggml type id, so an unsupported one is named in errors rather than shown as a number.
    static let names: [UInt32: String] = [
        0: "F32", 1: "F16", 2: "Q4_0", 3: "Q4_1", 6: "Q5_0", 7: "Q5_1", 8: "Q8_0", 9: "Q8_1",
        10: "Q2_K", 11: "Q3_K", 12: "Q4_K", 13: "Q5_K", 14: "Q6_K", 15: "Q8_K",
        16: "IQ2_XXS", 17: "IQ2_XS", 18: "IQ3_XXS", 19: "IQ1_S", 20: "IQ4_NL", 21: "IQ3_S",
        22: "IQ2_S", 23: "IQ4_XS", 24: "I8", 25: "I16", 26: "I32", 27: "I64", 28: "F64",
        29: "IQ1_M", 30: "BF16", 34: "TQ1_0", 35: "TQ2_0", 39: "MXFP4",
    ]

    /// The ggml name of a type id ("Q5_1"), or "unknown" for ids ggml does not define.
    public static func name(of id: UInt32) -> String { names[id] ?? "unknown" }

    /// The weight format for a ggml type id, or nil when Switchyard cannot compute with it.
    public static func format(of id: UInt32) -> WeightFormat? {
        switch id {
        case 0: return .f32
        case 1: return .f16
        case 2: return .q4_0
        case 3: return .q4_1
        case 6: return .q5_0
        case 8: return .q8_0
        case 12: return .q4K
        case 14: return .q6K
        case 30: return .bf16
        default: return nil
        }
    }

    /// The ggml type id of a weight format.
    public static func id(of format: WeightFormat) -> UInt32 {
        switch format {
        case .f32: return 0
        case .f16: return 1
        case .q4_0: return 2
        case .q4_1: return 3
        case .q5_0: return 6
        case .q8_0: return 8
        case .q4K: return 12
        case .q6K: return 14
        case .bf16: return 30
        }
    }
}
