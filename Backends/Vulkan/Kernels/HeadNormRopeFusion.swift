import Switchyard

/// Gemma 3's attention inputs: per-head `rmsNorm` of q and of k, their `rope`s, and the `kvWrite`
/// of the rotated keys and the values — five ops, two barrier-separated steps — as two side-by-side
/// dispatches of `head_norm_rope` (q into its tensor; k into the ring cache with the values copied
/// beside it): one dependent step per layer fewer. Taken only when nothing else reads the normed or
/// rotated keys or the normed queries.
struct HeadNormRopeFusion: VulkanFusion {
    static let maxHeadDim = 256

    func match(_ nodes: ArraySlice<OpNode>, in pass: VulkanPass) -> Int? {
        guard nodes.count >= 5 else { return nil }
        let n = Array(nodes.prefix(5))
        guard n[0].kind == .rmsNorm, n[1].kind == .rmsNorm, n[4].kind == .kvWrite,
              case .rope(let pq) = n[2].op, case .rope(let pk) = n[3].op,
              n[2].inputs[0] == n[0].outputs[0], n[3].inputs[0] == n[1].outputs[0], n[4].inputs[0] == n[3].outputs[0],
              pass.isReadOnlyBy(n[0].outputs[0], n[2]), pass.isReadOnlyBy(n[1].outputs[0], n[3]),
              pass.isReadOnlyBy(n[3].outputs[0], n[4]) else { return nil }
        let graph = pass.graph
        for (norm, p) in [(n[0], pq), (n[1], pk)] {
            let w = graph[norm.inputs[1]]
            guard w.kind.isWeight, w.elementCount == p.headDim, p.headDim <= Self.maxHeadDim,
                  graph[norm.inputs[0]].shape.last == p.heads * p.headDim else { return nil }
        }
        let k = graph[n[3].outputs[0]], v = graph[n[4].inputs[1]]
        guard v.kind == .activation, v.shape == k.shape, graph[n[4].outputs[0]].shape == graph[n[4].outputs[1]].shape,
              graph[n[4].outputs[0]].shape.last == k.shape.last else { return nil }
        return 5
    }

    func encode(_ nodes: ArraySlice<OpNode>, _ pass: VulkanPass) throws {
        let n = Array(nodes.prefix(5))
        guard case .rope(let pq) = n[2].op, case .rope(let pk) = n[3].op,
              case .rmsNorm(let epsQ) = n[0].op, case .rmsNorm(let epsK) = n[1].op else { return }
        let q = try pass.tensor(n[0].inputs[0]), k = try pass.tensor(n[1].inputs[0]), v = try pass.tensor(n[4].inputs[1])
        let kCache = try pass.tensor(n[4].outputs[0]), vCache = try pass.tensor(n[4].outputs[1])
        // As the kvWrite kernel: one pass may not hold more rows than the cache.
        guard k.rows <= kCache.rows else { throw ExecutionError.contextOverflow(needed: k.rows, capacity: kCache.rows) }
        let qOut = try pass.output(n[2].outputs[0])
        for (norm, p, eps, x, out, cacheRows, values) in [
            (n[0], pq, epsQ, q, qOut.slice, 0, (q.slice, qOut.slice)),
            (n[1], pk, epsK, k, kCache.slice, kCache.rows, (v.slice, vCache.slice)),
        ] {
            guard let weight = try pass.weight(norm.inputs[1]).floats else {
                throw VulkanError.unsupported("\(pass.graph[norm.inputs[1]].name) has no f32 copy")
            }
            let items = x.rows * p.heads
            try pass.dispatch("head_norm_rope", reads: [x.slice, weight, values.0], writes: [out, values.1],
                              push: [.u(items), .u(p.heads), .u(p.headDim), .u(p.rotatedDims), .u(p.layout == .neox ? 1 : 0),
                                     .u(pass.ropeTable(p)), .u(cacheRows), .f(eps)],
                              groups: WorkgroupGrid.groups(items))
        }
        pass.store(n[4].outputs[0], kCache)
        pass.store(n[4].outputs[1], vCache)
    }
}
