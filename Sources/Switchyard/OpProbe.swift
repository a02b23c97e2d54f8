/// Representative op nodes for asking backends what they support without a model: one node per op
/// kind, and one matmul and one embed per weight format. `switchyard ops` prints the answers.
public enum OpProbe {
    /// Stand-in bytes for probe weights: never read, only their size matters.
    /// Sendable: zeroed in init and never written again.
    final class Bytes: @unchecked Sendable {
        let buffer: UnsafeMutableRawBufferPointer
        init(_ count: Int) { buffer = .allocate(byteCount: max(count, 1), alignment: 64) }
        deinit { buffer.deallocate() }
    }

    /// A graph of `tokens` rows holding the representative nodes, and a label for each node.
    public static func graph(tokens n: Int = 8) -> (graph: ForwardGraph, labels: [String]) {
        var g = ForwardGraph(tokenCount: n)
        var labels: [String] = []
        let d = 256, heads = 4, kvHeads = 2, headDim = 64, context = 64
        func weight(_ name: String, _ format: WeightFormat, _ shape: [Int]) -> ValueID {
            let bytes = Bytes(format.byteCount(elements: shape.reduce(1, *))!)
            return g.weight(WeightTensor(name: name, format: format, shape: shape,
                                         bytes: UnsafeRawBufferPointer(bytes.buffer), owner: bytes))
        }
        func add(_ label: String, _ op: Op, _ inputs: [ValueID], _ shape: [Int]) -> ValueID {
            labels.append(label)
            return g.op(label, op, inputs, shape: shape)
        }
        var x = add("embed (F32)", .embed(scale: 1), [weight("embed.f32", .f32, [32, d])], [n, d])
        for format in WeightFormat.allCases where format != .f32 {
            _ = add("embed (\(format))", .embed(scale: 1), [weight("embed.\(format)", format, [32, d])], [n, d])
        }
        for format in WeightFormat.allCases {
            _ = add("matmul (\(format))", .matmul, [x, weight("w.\(format)", format, [d, d])], [n, d])
        }
        x = add("rmsNorm", .rmsNorm(eps: 1e-6), [x, weight("norm", .f32, [d])], [n, d])
        let q = add("rope (normal)", .rope(RopeParameters(heads: heads, headDim: headDim, rotatedDims: headDim, base: 10_000, layout: .normal)), [x], [n, d])
        _ = add("rope (neox)", .rope(RopeParameters(heads: heads, headDim: headDim, rotatedDims: headDim, base: 10_000, layout: .neox)), [x], [n, d])
        let kv = add("rows", .rows(start: 0, count: n), [x], [n, d])
        let k = add("scale", .scale(0.5), [kv], [n, d])
        let kCache = g.state("cache_k", shape: [context, kvHeads * headDim]), vCache = g.state("cache_v", shape: [context, kvHeads * headDim])
        _ = add("softcap", .softcap(30), [k], [n, d])
        let kvRows = add("embed (F32, K/V width)", .embed(scale: 1), [weight("embed.kv", .f32, [32, kvHeads * headDim])], [n, kvHeads * headDim])
        labels.append("kvWrite")
        g.op("kvWrite", .kvWrite, [kvRows, kvRows], writing: [kCache, vCache])
        let attention = AttentionParameters(heads: heads, kvHeads: kvHeads, headDim: headDim, scale: 0.125)
        _ = add("attention", .attention(attention), [q, kCache, vCache], [n, d])
        var windowed = attention
        windowed.window = 16
        _ = add("attention (sliding window)", .attention(windowed), [q, kCache, vCache], [n, d])
        _ = add("add", .add, [x, q], [n, d])
        _ = add("mul", .mul, [x, q], [n, d])
        _ = add("silu", .silu, [x], [n, d])
        _ = add("gelu", .gelu, [x], [n, d])
        _ = add("swiglu", .swiglu, [x, q], [n, d])
        _ = add("geglu", .geglu, [x, q], [n, d])
        _ = add("softmax", .softmax, [x], [n, d])
        return (g, labels)
    }
}
