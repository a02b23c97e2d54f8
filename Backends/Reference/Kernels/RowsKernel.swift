import Switchyard

/// `rows`: a copy of rows start..<start+count.
struct RowsKernel: ReferenceKernel {

    func run(_ node: OpNode, _ io: SegmentIO, _ backend: ReferenceBackend) throws {
        guard case .rows(let start, let count) = node.op else { return }
        let x = try io.host(node.inputs[0])
        let out = io.makeOutput(node)
        out.storage.baseAddress!.update(from: x.row(start), count: count * x.columns)
    }
}
