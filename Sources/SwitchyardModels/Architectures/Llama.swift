import Switchyard

/// The llama architecture (SmolLM2, Llama 2/3, …): pre-norm blocks of grouped-query attention with
/// RoPE in the normal (adjacent pairs) layout and a SwiGLU feed-forward, a final RMSNorm, and an
/// output projection that falls back to the token embedding when the file ties them.
public struct LlamaArchitecture: Architecture {
    public static let names = ["llama"]

    public let layers: Int
    public let embedding: Int
    public let feedForward: Int
    public let heads: Int
    public let kvHeads: Int
    public let headDim: Int
    public let ropeDims: Int
    public let ropeBase: Float
    public let normEps: Float
    public let trainedContextLength: Int
    public let vocabularySize: Int
    /// Weights by name, checked for shape at load.
    let weights: [String: WeightTensor]
    let outputName: String

    public init(file: GGUFFile) throws {
        let meta = MetadataReader(file: file, prefix: "llama.")
        layers = try meta.blockCount(tensorsPerBlock: 9)
        embedding = try meta.int("embedding_length")
        feedForward = try meta.int("feed_forward_length")
        heads = try meta.int("attention.head_count")
        kvHeads = try meta.int("attention.head_count_kv", default: heads)
        guard embedding % heads == 0 else { throw ModelError.invalidMetadata(key: "llama.attention.head_count", reason: "\(heads) heads do not divide the embedding of \(embedding)") }
        guard heads % kvHeads == 0 else { throw ModelError.invalidMetadata(key: "llama.attention.head_count_kv", reason: "\(kvHeads) KV heads do not divide \(heads) query heads") }
        headDim = embedding / heads
        ropeDims = try meta.int("rope.dimension_count", default: headDim)
        guard ropeDims <= headDim, ropeDims % 2 == 0 else { throw ModelError.invalidMetadata(key: "llama.rope.dimension_count", reason: "\(ropeDims) does not fit a head of \(headDim)") }
        ropeBase = try meta.float("rope.freq_base", default: 10_000)
        normEps = try meta.float("attention.layer_norm_rms_epsilon")
        trainedContextLength = try meta.int("context_length")
        guard let embed = file.weight("token_embd.weight"), embed.shape.count == 2, embed.shape[1] == embedding else {
            throw file.weight("token_embd.weight") == nil ? ModelError.missingTensor("token_embd.weight")
                : ModelError.tensorShape(name: "token_embd.weight", expected: [-1, embedding], found: file.weight("token_embd.weight")!.shape)
        }
        vocabularySize = embed.shape[0]

        var weights = ["token_embd.weight": embed]
        let kvWidth = kvHeads * headDim
        func need(_ name: String, _ shape: [Int]) throws { weights[name] = try meta.tensor(name, shape) }
        for l in 0..<layers {
            let p = "blk.\(l)."
            try need(p + "attn_norm.weight", [embedding])
            try need(p + "attn_q.weight", [embedding, embedding])
            try need(p + "attn_k.weight", [kvWidth, embedding])
            try need(p + "attn_v.weight", [kvWidth, embedding])
            try need(p + "attn_output.weight", [embedding, embedding])
            try need(p + "ffn_norm.weight", [embedding])
            try need(p + "ffn_gate.weight", [feedForward, embedding])
            try need(p + "ffn_up.weight", [feedForward, embedding])
            try need(p + "ffn_down.weight", [embedding, feedForward])
        }
        try need("output_norm.weight", [embedding])
        if file.weight("output.weight") != nil {
            try need("output.weight", [vocabularySize, embedding])
            outputName = "output.weight"
        } else {
            outputName = "token_embd.weight"   // tied embeddings
        }
        self.weights = weights
    }

    public func graph(tokens n: Int, contextLength: Int, maxBatch: Int, logits: LogitRows) -> ForwardGraph {
        var g = ForwardGraph(tokenCount: n)
        func w(_ name: String) -> ValueID { g.weight(weights[name]!) }
        let d = embedding, kvWidth = kvHeads * headDim
        let rope = { (h: Int) in RopeParameters(heads: h, headDim: headDim, rotatedDims: ropeDims, base: ropeBase, layout: .normal) }
        let attention = AttentionParameters(heads: heads, kvHeads: kvHeads, headDim: headDim,
                                            scale: 1 / Float(headDim).squareRoot())

        var x = g.op("token_embd", .embed(scale: 1), [w("token_embd.weight")], shape: [n, d])
        for l in 0..<layers {
            let p = "blk.\(l)."
            // Attention block.
            let h = g.op(p + "attn_norm", .rmsNorm(eps: normEps), [x, w(p + "attn_norm.weight")], shape: [n, d])
            let q = g.op(p + "attn_q", .matmul, [h, w(p + "attn_q.weight")], shape: [n, d])
            let k = g.op(p + "attn_k", .matmul, [h, w(p + "attn_k.weight")], shape: [n, kvWidth])
            let v = g.op(p + "attn_v", .matmul, [h, w(p + "attn_v.weight")], shape: [n, kvWidth])
            let qRotated = g.op(p + "rope_q", .rope(rope(heads)), [q], shape: [n, d])
            let kRotated = g.op(p + "rope_k", .rope(rope(kvHeads)), [k], shape: [n, kvWidth])
            let kCache = g.state(p + "cache_k", shape: [contextLength, kvWidth])
            let vCache = g.state(p + "cache_v", shape: [contextLength, kvWidth])
            g.op(p + "kv_write", .kvWrite, [kRotated, v], writing: [kCache, vCache])
            let a = g.op(p + "attn", .attention(attention), [qRotated, kCache, vCache], shape: [n, d])
            let o = g.op(p + "attn_output", .matmul, [a, w(p + "attn_output.weight")], shape: [n, d])
            x = g.op(p + "attn_residual", .add, [x, o], shape: [n, d])
            // Feed-forward block.
            let f = g.op(p + "ffn_norm", .rmsNorm(eps: normEps), [x, w(p + "ffn_norm.weight")], shape: [n, d])
            let gate = g.op(p + "ffn_gate", .matmul, [f, w(p + "ffn_gate.weight")], shape: [n, feedForward])
            let up = g.op(p + "ffn_up", .matmul, [f, w(p + "ffn_up.weight")], shape: [n, feedForward])
            let act = g.op(p + "ffn_swiglu", .swiglu, [gate, up], shape: [n, feedForward])
            let down = g.op(p + "ffn_down", .matmul, [act, w(p + "ffn_down.weight")], shape: [n, d])
            x = g.op(p + "ffn_residual", .add, [x, down], shape: [n, d])
        }
        x = g.op("output_norm", .rmsNorm(eps: normEps), [x, w("output_norm.weight")], shape: [n, d])
        let rows = logits == .all ? n : 1
        if rows < n { x = g.op("last_row", .rows(start: n - 1, count: 1), [x], shape: [1, d]) }
        let out = g.op("output", .matmul, [x, w(outputName)], shape: [rows, vocabularySize])
        g.markOutput(out)
        return g
    }
}
