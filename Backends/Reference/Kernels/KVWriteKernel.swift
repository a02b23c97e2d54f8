import Switchyard

/// `kvWrite`: copies the pass's key and value rows into the caches at the pass's positions.
struct KVWriteKernel: ReferenceKernel {
    func run(_ node: OpNode, _ io: SegmentIO, _ backend: ReferenceBackend) throws {
        for (source, cache) in zip(node.inputs, node.outputs) {
            let rows = try io.host(source)
            let destination = try io.host(cache)
            let end = io.pass.startPosition + rows.rows
            guard end <= destination.rows else { throw ExecutionError.contextOverflow(needed: end, capacity: destination.rows) }
            for r in 0..<rows.rows {
                destination.row(io.pass.position(r)).update(from: rows.row(r), count: rows.columns)
            }
            io.store(cache, destination)
        }
    }
}
