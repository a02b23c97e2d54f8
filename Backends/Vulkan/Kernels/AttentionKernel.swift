import Switchyard

/// `attention`: one dispatch of `attention`, one workgroup of 256 per (head, query row), groups
/// (heads, n, 1). Each workgroup streams its span of cached positions 256 keys at a time with an
/// online softmax (fixed shared memory for any span), so prefill and long decodes share one path.
/// The GPU reads the start position from the pass buffer. The caches are read as vec4: head
/// dimensions are multiples of 4 and the cache bindings start 16-byte aligned.
struct AttentionKernel: VulkanKernel {
    /// The shader keeps the query and the output in shared memory sized for its 256 threads.
    static let maxHeadDim = 256

    func support(_ node: OpNode, in graph: ForwardGraph, device: VulkanDeviceDescription) -> OpSupport {
        guard case .attention(let p) = node.op else { return .unsupported("not attention") }
        guard p.headDim >= 4, p.headDim <= Self.maxHeadDim, p.headDim % 4 == 0 else {
            return .unsupported("head dimension \(p.headDim) (a multiple of 4 up to \(Self.maxHeadDim))")
        }
        if let window = p.window, window < 1 { return .unsupported("a sliding window of \(window) positions") }
        guard p.heads <= WorkgroupGrid.limit, graph.tokenCount <= WorkgroupGrid.limit else { return .unsupported("more than 65,535 heads or rows") }
        let q = graph[node.inputs[0]].shape, k = graph[node.inputs[1]].shape, v = graph[node.inputs[2]].shape
        guard q.last == p.heads * p.headDim, k == v, k.last == p.kvHeads * p.headDim else {
            return .unsupported("shapes \(q), \(k), \(v) do not fit the heads")
        }
        return .supported
    }

    func encode(_ node: OpNode, _ pass: VulkanPass) throws {
        guard case .attention(let p) = node.op else { return }
        let q = try pass.tensor(node.inputs[0])
        let kCache = try pass.tensor(node.inputs[1]), vCache = try pass.tensor(node.inputs[2])
        guard kCache.slice.offset % 16 == 0, vCache.slice.offset % 16 == 0 else {
            throw VulkanError.unsupported("KV cache bindings not 16-byte aligned (read as vec4)")
        }
        let out = try pass.output(node.outputs[0])
        // As the reference: the cache must hold every position from the oldest one a query of
        // the pass sees to the newest one the pass wrote.
        let newest = pass.context.position(q.rows - 1)
        let oldest = p.window.map { max(0, pass.context.startPosition - $0 + 1) } ?? 0
        guard newest - oldest < kCache.rows else {
            throw ExecutionError.contextOverflow(needed: newest - oldest + 1, capacity: kCache.rows)
        }
        try pass.dispatch("attention", reads: [q.slice, kCache.slice, vCache.slice], writes: [out.slice],
                          push: [.u(p.heads), .u(p.kvHeads), .u(p.headDim), .u(kCache.rows), .f(p.scale),
                                 .u(p.window ?? 0), .u(p.softcap == nil ? 0 : 1), .f(p.softcap ?? 0)],
                          groups: (p.heads, q.rows, 1))
    }
}
