import Switchyard

/// `kvWrite`: copies the pass's key and value rows into the caches at the pass's positions. A cache
/// is a ring: position p lives in row p % rows (a full-context cache never wraps; a sliding-window
/// cache holds the window plus one batch).
struct KVWriteKernel: ReferenceKernel {
    func run(_ node: OpNode, _ io: SegmentIO, _ backend: ReferenceBackend) throws {
        for (source, cache) in zip(node.inputs, node.outputs) {
            let rows = try io.host(source)
            let destination = try io.host(cache)
            try destination.writeRing(rows, startPosition: io.pass.startPosition)
            io.store(cache, destination)
        }
    }
}
