import Switchyard

/// `kvWrite`: copies the pass's key and value rows into the caches; position p is row p % rows.
struct KVWriteKernel: BLASKernel {
    func run(_ node: OpNode, _ io: SegmentIO, _ backend: BLASBackend) throws {
        for (source, cache) in zip(node.inputs, node.outputs) {
            let rows = try io.host(source)
            let destination = try io.host(cache)
            try destination.writeRing(rows, startPosition: io.pass.startPosition)
            io.store(cache, destination)
        }
    }
}
