import Switchyard

/// `rows`: a copy of rows start..<start+count.
struct RowsKernel: ReferenceKernel {
    func support(_ node: OpNode, in graph: ForwardGraph) -> OpSupport {
        guard case .rows(let start, let count) = node.op else { return .unsupported("not rows") }
        return start >= 0 && count > 0 && start + count <= graph[node.inputs[0]].shape[0] ? .supported : .unsupported("rows out of range")
    }

    func run(_ node: OpNode, _ io: SegmentIO, _ backend: ReferenceBackend) throws {
        guard case .rows(let start, let count) = node.op else { return }
        let x = try io.host(node.inputs[0])
        let out = io.makeOutput(node)
        out.storage.baseAddress!.update(from: x.row(start), count: count * x.columns)
    }
}
