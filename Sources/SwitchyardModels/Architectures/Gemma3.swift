import Switchyard

/// The gemma3 architecture (Gemma 3 text models): token embeddings scaled by √d; blocks with
/// sandwich norms (pre- and post-attention, pre- and post-feed-forward RMSNorm); RMSNorm of q and k
/// per head; NeoX RoPE with a local base on sliding-window layers and a global base on the others;
/// multi-query attention; a GeGLU (tanh GELU) feed-forward; tied output embedding.
///
/// Layer pattern as llama.cpp reads it: `gemma3.attention.sliding_window_pattern` (a period or a
/// per-layer array), else a period of 6 — layer l slides when l % 6 < 5, so every sixth layer is
/// global. Sliding layers keep a KV cache of only the window plus one batch, as a ring.
public struct Gemma3Architecture: Architecture {
    public static let names = ["gemma3"]

    public let layers: Int
    public let embedding: Int
    public let feedForward: Int
    public let heads: Int
    public let kvHeads: Int
    public let headDim: Int
    public let normEps: Float
    public let globalRopeBase: Float
    public let localRopeBase: Float
    public let slidingWindow: Int
    /// Whether each layer uses the sliding window.
    public let slidingLayers: [Bool]
    public let trainedContextLength: Int
    public let vocabularySize: Int
    let weights: [String: WeightTensor]

    public init(file: GGUFFile) throws {
        let meta = MetadataReader(file: file, prefix: "gemma3.")
        layers = try meta.blockCount(tensorsPerBlock: 13)
        embedding = try meta.int("embedding_length")
        feedForward = try meta.int("feed_forward_length")
        heads = try meta.int("attention.head_count")
        kvHeads = try meta.int("attention.head_count_kv", default: heads)
        headDim = try meta.int("attention.key_length", default: embedding / heads)
        let valueDim = try meta.int("attention.value_length", default: headDim)
        guard valueDim == headDim else { throw ModelError.invalidMetadata(key: "gemma3.attention.value_length", reason: "\(valueDim) differs from key_length \(headDim)") }
        guard heads % kvHeads == 0 else { throw ModelError.invalidMetadata(key: "gemma3.attention.head_count_kv", reason: "\(kvHeads) KV heads do not divide \(heads) query heads") }
        guard !heads.multipliedReportingOverflow(by: headDim).overflow else {
            throw ModelError.invalidMetadata(key: "gemma3.attention.key_length", reason: "\(heads) heads of \(headDim) overflow the width of the queries")
        }
        normEps = try meta.float("attention.layer_norm_rms_epsilon")
        globalRopeBase = try meta.float("rope.freq_base", default: 1_000_000)
        localRopeBase = try meta.float("rope.freq_base_swa", default: 10_000)
        trainedContextLength = try meta.int("context_length")
        slidingWindow = try meta.int("attention.sliding_window")
        slidingLayers = try Self.slidingPattern(file, layers: layers)
        if file.metadata["gemma3.final_logit_softcapping"] != nil {
            throw ModelError.invalidMetadata(key: "gemma3.final_logit_softcapping", reason: "final logit soft-capping is not supported")
        }

        guard let embed = file.weight("token_embd.weight") else { throw ModelError.missingTensor("token_embd.weight") }
        guard embed.shape.count == 2, embed.shape[1] == embedding else {
            throw ModelError.tensorShape(name: "token_embd.weight", expected: [-1, embedding], found: embed.shape)
        }
        vocabularySize = embed.shape[0]
        var weights = ["token_embd.weight": embed]
        func need(_ name: String, _ shape: [Int]) throws { weights[name] = try meta.tensor(name, shape) }
        let qWidth = heads * headDim, kvWidth = kvHeads * headDim
        for l in 0..<layers {
            let p = "blk.\(l)."
            try need(p + "attn_norm.weight", [embedding])
            try need(p + "attn_q.weight", [qWidth, embedding])
            try need(p + "attn_k.weight", [kvWidth, embedding])
            try need(p + "attn_v.weight", [kvWidth, embedding])
            try need(p + "attn_q_norm.weight", [headDim])
            try need(p + "attn_k_norm.weight", [headDim])
            try need(p + "attn_output.weight", [embedding, qWidth])
            try need(p + "post_attention_norm.weight", [embedding])
            try need(p + "ffn_norm.weight", [embedding])
            try need(p + "ffn_gate.weight", [feedForward, embedding])
            try need(p + "ffn_up.weight", [feedForward, embedding])
            try need(p + "ffn_down.weight", [embedding, feedForward])
            try need(p + "post_ffw_norm.weight", [embedding])
        }
        try need("output_norm.weight", [embedding])
        if file.weight("output.weight") != nil { try need("output.weight", [vocabularySize, embedding]) }
        self.weights = weights
    }

    /// Which layers slide, from `sliding_window_pattern` (a period, or one bool per layer), else period 6.
    static func slidingPattern(_ file: GGUFFile, layers: Int) throws -> [Bool] {
        let key = "gemma3.attention.sliding_window_pattern"
        var period = 6
        if let value = file.metadata[key] {
            if let flags = value.array?.compactMap(\.bool), flags.count == value.array?.count {
                guard flags.count == layers else { throw ModelError.invalidMetadata(key: key, reason: "\(flags.count) entries for \(layers) layers") }
                return flags
            }
            guard let p = value.int, p >= 0 else { throw ModelError.invalidMetadata(key: key, reason: "expected a period or a bool per layer, found \(value.summary)") }
            period = p
        }
        return (0..<layers).map { period == 0 || $0 % period < period - 1 }
    }

    public func graph(tokens n: Int, contextLength: Int, maxBatch: Int, logits: LogitRows) -> ForwardGraph {
        var g = ForwardGraph(tokenCount: n)
        func w(_ name: String) -> ValueID { g.weight(weights[name]!) }
        let d = embedding, qWidth = heads * headDim, kvWidth = kvHeads * headDim
        let norm = Op.rmsNorm(eps: normEps)

        var x = g.op("token_embd", .embed(scale: Float(embedding).squareRoot()), [w("token_embd.weight")], shape: [n, d])
        for l in 0..<layers {
            let p = "blk.\(l).", sliding = slidingLayers[l]
            let base = sliding ? localRopeBase : globalRopeBase
            let rope = { (h: Int) in RopeParameters(heads: h, headDim: headDim, rotatedDims: headDim, base: base, layout: .neox) }
            let attention = AttentionParameters(heads: heads, kvHeads: kvHeads, headDim: headDim,
                                                scale: 1 / Float(headDim).squareRoot(), window: sliding ? slidingWindow : nil)
            // A sliding layer's cache is a ring of the window plus one batch, never more than the context.
            let cacheRows = sliding && slidingWindow < contextLength ? min(contextLength, slidingWindow + maxBatch) : contextLength

            let h = g.op(p + "attn_norm", norm, [x, w(p + "attn_norm.weight")], shape: [n, d])
            let q = g.op(p + "attn_q", .matmul, [h, w(p + "attn_q.weight")], shape: [n, qWidth])
            let k = g.op(p + "attn_k", .matmul, [h, w(p + "attn_k.weight")], shape: [n, kvWidth])
            let v = g.op(p + "attn_v", .matmul, [h, w(p + "attn_v.weight")], shape: [n, kvWidth])
            let qNormed = g.op(p + "attn_q_norm", norm, [q, w(p + "attn_q_norm.weight")], shape: [n, qWidth])
            let kNormed = g.op(p + "attn_k_norm", norm, [k, w(p + "attn_k_norm.weight")], shape: [n, kvWidth])
            let qRotated = g.op(p + "rope_q", .rope(rope(heads)), [qNormed], shape: [n, qWidth])
            let kRotated = g.op(p + "rope_k", .rope(rope(kvHeads)), [kNormed], shape: [n, kvWidth])
            let kCache = g.state(p + "cache_k", shape: [cacheRows, kvWidth])
            let vCache = g.state(p + "cache_v", shape: [cacheRows, kvWidth])
            g.op(p + "kv_write", .kvWrite, [kRotated, v], writing: [kCache, vCache])
            let a = g.op(p + "attn", .attention(attention), [qRotated, kCache, vCache], shape: [n, qWidth])
            let o = g.op(p + "attn_output", .matmul, [a, w(p + "attn_output.weight")], shape: [n, d])
            let oNormed = g.op(p + "post_attention_norm", norm, [o, w(p + "post_attention_norm.weight")], shape: [n, d])
            x = g.op(p + "attn_residual", .add, [x, oNormed], shape: [n, d])

            let f = g.op(p + "ffn_norm", norm, [x, w(p + "ffn_norm.weight")], shape: [n, d])
            let gate = g.op(p + "ffn_gate", .matmul, [f, w(p + "ffn_gate.weight")], shape: [n, feedForward])
            let up = g.op(p + "ffn_up", .matmul, [f, w(p + "ffn_up.weight")], shape: [n, feedForward])
            let act = g.op(p + "ffn_geglu", .geglu, [gate, up], shape: [n, feedForward])
            let down = g.op(p + "ffn_down", .matmul, [act, w(p + "ffn_down.weight")], shape: [n, d])
            let downNormed = g.op(p + "post_ffw_norm", norm, [down, w(p + "post_ffw_norm.weight")], shape: [n, d])
            x = g.op(p + "ffn_residual", .add, [x, downNormed], shape: [n, d])
        }
        x = g.op("output_norm", norm, [x, w("output_norm.weight")], shape: [n, d])
        let rows = logits == .all ? n : 1
        if rows < n { x = g.op("last_row", .rows(start: n - 1, count: 1), [x], shape: [1, d]) }
        let out = g.op("output", .matmul, [x, w(weights["output.weight"] != nil ? "output.weight" : "token_embd.weight")], shape: [rows, vocabularySize])
        g.markOutput(out)
        return g
    }
}
