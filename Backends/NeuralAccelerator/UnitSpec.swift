import Switchyard

/// The emulated unit's fixed rules, as docs/neural-accelerator.md states them: its limits, the
/// weight formats it takes, its prefill chunk, the fp16 range guard, and the refusal rules that
/// `support(for:in:)` applies (each refusal names its rule).
enum UnitSpec {
    /// Largest size of any dimension of a tensor on the unit (Core ML's limit).
    static let maxDimension = 16_384
    /// Widest RMSNorm: the unit builds it as a LayerNorm over [x, −x], twice as wide.
    static let maxNormWidth = maxDimension / 2
    /// The last axis is padded to 64 bytes: 32 fp16 elements.
    static let alignmentElements = 32
    /// Rows of the prefill program (AR-128); a prefill of n tokens runs ⌈n / 128⌉ chunks.
    static let prefillChunk = 128
    /// Largest calibrated activation magnitude the guard lets onto the unit: half of fp16's
    /// largest finite value (one binade of headroom over the calibration text).
    static let rangeGuard: Float = 65_504 / 2

    /// The GGUF weight formats the unit's compiler expands (every format Switchyard reads).
    static let weightFormats: Set<WeightFormat> = Set(WeightFormat.allCases)

    /// `n` rounded up to the 64-byte alignment of the last axis.
    static func padded(_ n: Int) -> Int { (n + alignmentElements - 1) / alignmentElements * alignmentElements }

    /// Why the unit refuses `node`, or nil when it runs it. The rule numbers are the spec's.
    static func refusal(_ node: OpNode, in graph: ForwardGraph, rangeGuard guardOn: Bool) -> String? {
        switch node.op {
        case .embed:
            return "R1: gathering rows by a run-time token id is not a unit op (the embedding runs elsewhere)"
        case .softcap:
            return "R5: soft-capping needs a tanh table the unit does not have"
        case .attention(let p):
            if p.softcap != nil { return "R5: soft-capped attention scores need a tanh table the unit does not have" }
            let rows = graph[node.inputs[1]].shape[0]
            if rows > maxDimension { return "R7: a KV buffer of \(rows) rows exceeds the unit's \(maxDimension)-row limit" }
        case .kvWrite:
            let rows = graph[node.outputs[0]].shape[0]
            if rows > maxDimension { return "R7: a KV buffer of \(rows) rows exceeds the unit's \(maxDimension)-row limit" }
        case .matmul:
            let weight = graph[node.inputs[1]]
            if case .weight(let format) = weight.kind, !weightFormats.contains(format) {
                return "R8: weight format \(format) has no unit equivalent"
            }
            if weight.shape.last! > maxDimension { return "R6: a reduction over \(weight.shape.last!) exceeds \(maxDimension)" }
        case .rmsNorm:
            let width = graph[node.inputs[1]].elementCount
            if width > maxNormWidth { return "R6: a norm over \(width) (a LayerNorm over \(2 * width) channels) exceeds \(maxDimension)" }
        default:
            break
        }
        // Every activation's last axis within the limit (a matmul's wide output is split instead).
        for v in node.inputs where graph[v].kind == .activation && graph[v].shape.last! > maxDimension {
            return "R6: '\(graph[v].name)' rows of \(graph[v].shape.last!) exceed \(maxDimension)"
        }
        if node.kind != .matmul, let out = node.outputs.first, graph[out].shape.last! > maxDimension {
            return "R6: '\(graph[out].name)' rows of \(graph[out].shape.last!) exceed \(maxDimension)"
        }
        if guardOn {
            for v in node.inputs + node.outputs where graph[v].kind == .activation {
                if let largest = graph.largestMagnitude(v), !(largest <= rangeGuard) {
                    return "R9: '\(graph[v].name)' reaches \(Int(largest)) on the calibration text, beyond the fp16 guard of \(Int(rangeGuard))"
                }
            }
        }
        return nil
    }
}
