import Switchyard

/// `attention`: one dispatch of `attention`, one workgroup of 256 per (head, query row), groups
/// (heads, n, 1). Each workgroup streams its span of cached positions 256 keys at a time with an
/// online softmax (fixed shared memory for any span), so prefill and long decodes share one path.
/// Decode on a GPU splits the span (`split`): groups (heads, n, splits) write partial results to
/// scratch and `attention_combine` joins them (one dispatch and one barrier more, many times the
/// workgroups).
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
        // the pass sees to the newest one the pass wrote (checked again on every replay).
        let rows = q.rows, cacheRows = kCache.rows
        try pass.require { context in
            let newest = context.position(rows - 1)
            let oldest = p.window.map { max(0, context.startPosition - $0 + 1) } ?? 0
            guard newest - oldest < cacheRows else {
                throw ExecutionError.contextOverflow(needed: newest - oldest + 1, capacity: cacheRows)
            }
        }
        let split = Self.split(p, rows: rows, cacheRows: cacheRows, device: pass.device.description)
        var push: [PushValue] = [.u(p.heads), .u(p.kvHeads), .u(p.headDim), .u(cacheRows), .f(p.scale),
                                 .u(p.window ?? 0), .u(p.softcap == nil ? 0 : 1), .f(p.softcap ?? 0)]
        guard let split else {
            try pass.dispatch("attention", reads: [q.slice, kCache.slice, vCache.slice], writes: [out.slice, out.slice],
                              push: push + [.u(0)], groups: (p.heads, rows, 1))
            return
        }
        let partials = pass.scratch(Self.partialBytes(p, rows: rows, splits: split.count))
        push.append(.u(split.keys))
        try pass.dispatch("attention", reads: [q.slice, kCache.slice, vCache.slice], writes: [out.slice, partials],
                          push: push, groups: (p.heads, rows, split.count))
        try pass.dispatch("attention_combine", reads: [partials], writes: [out.slice],
                          push: [.u(p.heads), .u(p.headDim), .u(split.count)], groups: (p.heads, rows, 1))
    }

    func scratchBytes(_ node: OpNode, in graph: ForwardGraph, device: VulkanDeviceDescription) -> Int {
        guard case .attention(let p) = node.op else { return 0 }
        let rows = graph[node.inputs[0]].shape[0], cacheRows = graph[node.inputs[1]].shape[0]
        return Self.split(p, rows: rows, cacheRows: cacheRows, device: device).map { Self.partialBytes(p, rows: rows, splits: $0.count) } ?? 0
    }

    /// Decode on a GPU splits each head's span over workgroups of `keys` positions (`count` of
    /// them, enough for the longest span the cache allows; those past a shorter span leave at
    /// once), so a long context keeps the chip busy instead of one workgroup per head walking it
    /// alone. nil (one workgroup per head and row) for prefill and short caches. (On a software
    /// renderer it costs little and keeps the path the GPU takes under the conformance suite.)
    static func split(_ p: AttentionParameters, rows: Int, cacheRows: Int, device: VulkanDeviceDescription) -> (keys: Int, count: Int)? {
        guard rows <= MatmulKernel.matvecTokens else { return nil }
        let longest = min(cacheRows, (p.window ?? cacheRows) + rows - 1)
        let keys = max(splitKeys, (longest + maxSplits - 1) / maxSplits)
        let count = (longest + keys - 1) / keys
        return count > 1 ? (keys, count) : nil
    }

    /// Positions per split workgroup, and the most splits per head (longer spans get longer splits).
    static let splitKeys = 256
    static let maxSplits = 64

    /// Bytes of the split records: (rows × heads × splits) of headDim + 2 floats.
    static func partialBytes(_ p: AttentionParameters, rows: Int, splits: Int) -> Int {
        rows * p.heads * splits * (p.headDim + 2) * 4
    }
}
