import Switchyard

/// A feed-forward's gate and up products of one x and the `swiglu` or `geglu` that joins them, for
/// decode, in one dispatch of `matvec`: each row's two sums meet in registers, and neither product
/// is written (two dispatches and one barrier fewer per layer). Taken only when nothing else reads
/// the two products.
struct GatedMatvecFusion: VulkanFusion {
    func match(_ nodes: ArraySlice<OpNode>, in pass: VulkanPass) -> Int? {
        guard nodes.count >= 3 else { return nil }
        let gate = nodes[nodes.startIndex], up = nodes[nodes.startIndex + 1], act = nodes[nodes.startIndex + 2]
        guard act.kind == .swiglu || act.kind == .geglu, act.inputs == [gate.outputs[0], up.outputs[0]],
              gate.inputs[0] == up.inputs[0], let format = Self.matvecFormat(gate, pass),
              Self.matvecFormat(up, pass) == format,
              pass.graph[gate.outputs[0]].shape == pass.graph[up.outputs[0]].shape,
              pass.isReadOnlyBy(gate.outputs[0], act), pass.isReadOnlyBy(up.outputs[0], act) else { return nil }
        return 3
    }

    func encode(_ nodes: ArraySlice<OpNode>, _ pass: VulkanPass) throws {
        let gate = nodes[nodes.startIndex], up = nodes[nodes.startIndex + 1], act = nodes[nodes.startIndex + 2]
        let x = try pass.tensor(gate.inputs[0])
        let g = try pass.weight(gate.inputs[1]), u = try pass.weight(up.inputs[1])
        let out = try pass.output(act.outputs[0])
        try MatmulKernel.matvec(x: x.slice, n: x.rows, k: x.columns, parts: [(g.chunks[0], out.slice, out.columns), (u.chunks[0], out.slice, out.columns)],
                                format: g.format, gated: act.kind, pass)
    }

    /// The weight format of `node` when it is a product of few enough tokens for `matvec` with a
    /// weight in one chunk (one binding); nil otherwise.
    private static func matvecFormat(_ node: OpNode, _ pass: VulkanPass) -> WeightFormat? {
        guard node.kind == .matmul, let x = pass.graph[node.inputs[0]].shape.first,
              x <= MatmulKernel.matvecTokens, case .weight(let format) = pass.graph[node.inputs[1]].kind,
              let w = try? pass.weight(node.inputs[1]), w.chunks.count == 1 else { return nil }
        return format
    }
}
