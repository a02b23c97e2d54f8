import Switchyard

/// `kvWrite` into the fixed-size fp16 KV buffers: the pass's rows go to buffer rows p mod C given
/// by the host's position table (the in-place "smart mask" update); the buffer never grows.
struct KVWriteKernel: UnitKernel {
    func run(_ node: OpNode, _ io: SegmentIO, _ unit: AcceleratorBackend) throws {
        for (rowsID, cacheID) in zip(node.inputs, node.outputs) {
            let rows = try io.half(rowsID), cache = try io.half(cacheID)
            guard rows.rows <= cache.rows else { throw ExecutionError.contextOverflow(needed: rows.rows, capacity: cache.rows) }
            for r in 0..<rows.rows {
                cache.row((io.pass.startPosition + r) % cache.rows).update(from: rows.row(r), count: rows.columns)
            }
        }
    }
}
