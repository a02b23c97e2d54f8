import Switchyard

/// The keys' `rope` and the `kvWrite` that stores them in one dispatch of `rope_kv_write`: the
/// rotated keys go straight into the ring cache and the values are copied beside them (one
/// dispatch instead of three and one barrier fewer per layer). Taken only when nothing else reads
/// the rotated keys (a trace that hands every activation back keeps the separate ops).
struct RopeKVWriteFusion: VulkanFusion {
    func match(_ nodes: ArraySlice<OpNode>, in pass: VulkanPass) -> Int? {
        guard nodes.count >= 2 else { return nil }
        let rope = nodes[nodes.startIndex], write = nodes[nodes.startIndex + 1]
        guard case .rope = rope.op, write.kind == .kvWrite, write.inputs[0] == rope.outputs[0],
              pass.isReadOnlyBy(rope.outputs[0], write) else { return nil }
        let v = pass.graph[write.inputs[1]], k = pass.graph[rope.outputs[0]]
        guard v.kind == .activation, v.shape == k.shape,
              pass.graph[write.outputs[0]].shape == pass.graph[write.outputs[1]].shape,
              pass.graph[write.outputs[0]].shape.last == k.shape.last else { return nil }
        return 2
    }

    func encode(_ nodes: ArraySlice<OpNode>, _ pass: VulkanPass) throws {
        let rope = nodes[nodes.startIndex], write = nodes[nodes.startIndex + 1]
        guard case .rope(let p) = rope.op else { return }
        let k = try pass.tensor(rope.inputs[0]), v = try pass.tensor(write.inputs[1])
        let kCache = try pass.tensor(write.outputs[0]), vCache = try pass.tensor(write.outputs[1])
        // As the kvWrite kernel: one pass may not hold more rows than the cache.
        guard k.rows <= kCache.rows else { throw ExecutionError.contextOverflow(needed: k.rows, capacity: kCache.rows) }
        let kItems = k.rows * p.heads * (p.rotatedDims / 2 + p.headDim - p.rotatedDims)
        try pass.dispatch("rope_kv_write", reads: [k.slice, v.slice], writes: [kCache.slice, vCache.slice],
                          push: [.u(kItems), .u(v.count), .u(p.heads), .u(p.headDim), .u(p.rotatedDims),
                                 .u(p.layout == .neox ? 1 : 0), .u(pass.ropeTable(p)), .u(kCache.rows)],
                          groups: WorkgroupGrid.groups(elements: kItems + v.count))
        pass.store(write.outputs[0], kCache)
        pass.store(write.outputs[1], vCache)
    }
}
