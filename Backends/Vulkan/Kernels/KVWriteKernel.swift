import Switchyard

/// `kvWrite`: for each (rows, cache) pair, one dispatch of `kv_write` copying the pass's rows into
/// the ring cache in place, row r at cache row (start + r) % cacheRows, one invocation per element
/// (workgroups of 256, spread by `WorkgroupGrid`). The GPU reads start from the pass buffer.
struct KVWriteKernel: VulkanKernel {
    func support(_ node: OpNode, in graph: ForwardGraph, device: VulkanDeviceDescription) -> OpSupport {
        for (source, cache) in zip(node.inputs, node.outputs) where graph[source].shape.last != graph[cache].shape.last {
            return .unsupported("rows of \(graph[source].shape.last ?? 0) for a cache of \(graph[cache].shape.last ?? 0) columns")
        }
        return .supported
    }

    func encode(_ node: OpNode, _ pass: VulkanPass) throws {
        var pairs: [(rows: VulkanTensor, cache: VulkanTensor, id: ValueID)] = []
        for (source, id) in zip(node.inputs, node.outputs) {
            let rows = try pass.tensor(source), cache = try pass.tensor(id)
            // As HostTensor.writeRing: one pass may not hold more rows than the ring.
            guard rows.rows <= cache.rows else { throw ExecutionError.contextOverflow(needed: rows.rows, capacity: cache.rows) }
            pairs.append((rows, cache, id))
        }
        for (rows, cache, id) in pairs {
            try pass.dispatch("kv_write", reads: [rows.slice], writes: [cache.slice],
                              push: [.u(rows.count), .u(rows.columns), .u(cache.rows)],
                              groups: WorkgroupGrid.groups(elements: rows.count))
            pass.store(id, cache)
        }
    }
}
