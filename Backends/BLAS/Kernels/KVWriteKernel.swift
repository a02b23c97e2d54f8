import Switchyard

/// `kvWrite`: copies the pass's key and value rows into the caches; position p is row p % rows.
struct KVWriteKernel: BLASKernel {
    func run(_ node: OpNode, _ io: SegmentIO, _ backend: BLASBackend) throws {
        for (source, cache) in zip(node.inputs, node.outputs) {
            let rows = try io.host(source)
            let destination = try io.host(cache)
            guard rows.rows <= destination.rows else { throw ExecutionError.contextOverflow(needed: rows.rows, capacity: destination.rows) }
            for r in 0..<rows.rows {
                destination.row(io.pass.position(r) % destination.rows).update(from: rows.row(r), count: rows.columns)
            }
            io.store(cache, destination)
        }
    }
}
