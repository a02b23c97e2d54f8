/// The kinds of op in a forward pass. The set is closed and small: every backend answers, per op,
/// whether it runs it; anything bigger is built from these.
public enum OpKind: String, Sendable, CaseIterable, Hashable {
    case embed, rmsNorm, matmul, rope, attention, kvWrite
    case add, mul, scale
    case silu, gelu, swiglu, geglu
    case softmax, softcap
    case rows

    /// Kinds whose output row r depends on row r of input 0 alone (and of the other inputs, or a
    /// broadcast row), each element read before the element at the same index is written. A host
    /// kernel of these kinds may be handed an output that shares input 0's memory, when input 0 is
    /// not read again (`HostMemoryPlan`); every kernel of these kinds must allow it.
    public var mayOverwriteFirstInput: Bool {
        switch self {
        case .add, .mul, .scale, .silu, .gelu, .swiglu, .geglu, .softmax, .softcap: return true
        case .embed, .rmsNorm, .matmul, .rope, .attention, .kvWrite, .rows: return false
        }
    }
}

/// How RoPE pairs the dimensions of a head.
public enum RopeLayout: String, Sendable {
    /// Adjacent pairs (x[2i], x[2i+1]), as llama-family GGUF files expect.
    case normal
    /// Split halves (x[i], x[i + d/2]), as GPT-NeoX and Gemma use.
    case neox
}

/// Rotary position embedding over rows laid out as `heads` contiguous heads of `headDim`.
public struct RopeParameters: Sendable, Equatable {
    public var heads: Int
    public var headDim: Int
    /// Dimensions rotated at the start of each head (the rest pass through).
    public var rotatedDims: Int
    public var base: Float
    /// Positions are multiplied by this (linear RoPE scaling); 1 for none.
    public var frequencyScale: Float
    public var layout: RopeLayout
    public init(heads: Int, headDim: Int, rotatedDims: Int, base: Float, frequencyScale: Float = 1, layout: RopeLayout) {
        self.heads = heads; self.headDim = headDim; self.rotatedDims = rotatedDims
        self.base = base; self.frequencyScale = frequencyScale; self.layout = layout
    }
}

/// Causal attention of the pass's queries over the KV cache (which already holds this pass's keys).
public struct AttentionParameters: Sendable, Equatable {
    public var heads: Int
    public var kvHeads: Int
    public var headDim: Int
    /// Multiplies q·k before the softmax (usually 1/sqrt(headDim)).
    public var scale: Float
    /// Sliding window: a query at position p sees keys at positions > p - window. nil: all earlier keys.
    public var window: Int?
    /// Tanh soft-capping of the scores (Gemma 2): cap * tanh(s / cap). nil: none.
    public var softcap: Float?
    public init(heads: Int, kvHeads: Int, headDim: Int, scale: Float, window: Int? = nil, softcap: Float? = nil) {
        self.heads = heads; self.kvHeads = kvHeads; self.headDim = headDim
        self.scale = scale; self.window = window; self.softcap = softcap
    }
}

/// One op with its parameters. Inputs and outputs are given by the `OpNode`; the comments say
/// what they are. Activations are 2-D, `[rows, columns]`, one row per token.
public enum Op: Sendable, Equatable {
    /// inputs: [table weight `[vocab, d]`] → `[n, d]`: the pass's token rows, dequantized, times `scale`.
    case embed(scale: Float)
    /// inputs: [x `[n, c]`, weight `[w]`] → `[n, c]`: each run of `w` elements of a row is
    /// normalised by its root mean square (plus eps) and multiplied by the weight. `w == c` is the
    /// usual layer norm; `w < c` normalises per head.
    case rmsNorm(eps: Float)
    /// inputs: [x `[n, k]`, weight `[m, k]`] → `[n, m]` = x · weightᵀ.
    case matmul
    /// inputs: [x `[n, heads*headDim]`] → same shape, rotated by the pass's positions.
    case rope(RopeParameters)
    /// inputs: [q `[n, heads*headDim]`, kCache `[ctx, kvHeads*headDim]`, vCache] → `[n, heads*headDim]`.
    case attention(AttentionParameters)
    /// inputs: [k `[n, kvHeads*headDim]`, v] → outputs: [kCache, vCache], written in place at the
    /// pass's positions.
    case kvWrite
    /// inputs: [a, b] → a + b; b has a's shape or is a vector of a's row length.
    case add
    /// inputs: [a, b] → a * b, broadcasting as `add`.
    case mul
    /// inputs: [x] → x * factor.
    case scale(Float)
    /// inputs: [x] → x * sigmoid(x).
    case silu
    /// inputs: [x] → GELU with the tanh approximation.
    case gelu
    /// inputs: [gate, up] → silu(gate) * up.
    case swiglu
    /// inputs: [gate, up] → gelu(gate) * up.
    case geglu
    /// inputs: [x] → softmax over each row.
    case softmax
    /// inputs: [x] → cap * tanh(x / cap).
    case softcap(Float)
    /// inputs: [x `[n, c]`] → `[count, c]`: rows start..<start+count (e.g. the last token's row).
    case rows(start: Int, count: Int)

    public var kind: OpKind {
        switch self {
        case .embed: return .embed
        case .rmsNorm: return .rmsNorm
        case .matmul: return .matmul
        case .rope: return .rope
        case .attention: return .attention
        case .kvWrite: return .kvWrite
        case .add: return .add
        case .mul: return .mul
        case .scale: return .scale
        case .silu: return .silu
        case .gelu: return .gelu
        case .swiglu: return .swiglu
        case .geglu: return .geglu
        case .softmax: return .softmax
        case .softcap: return .softcap
        case .rows: return .rows
        }
    }
}
