import Switchyard

/// Two or three consecutive decode products of one x by weights of one format (a layer's q, k and
/// v) in one dispatch of `matvec`: the GPU is bound by dispatches there, not by the bytes.
struct SiblingMatvecFusion: VulkanFusion {
    func match(_ nodes: ArraySlice<OpNode>, in pass: VulkanPass) -> Int? {
        guard let first = nodes.first, let format = MatvecOperands.format(first, pass) else { return nil }
        var count = 1
        for node in nodes.dropFirst().prefix(2) {
            guard node.inputs[0] == first.inputs[0], MatvecOperands.format(node, pass) == format else { break }
            count += 1
        }
        return count >= 2 ? count : nil
    }

    func encode(_ nodes: ArraySlice<OpNode>, _ pass: VulkanPass) throws {
        let x = try pass.tensor(nodes.first!.inputs[0])
        var parts: [(chunk: VulkanWeight.Chunk, out: BufferSlice, columns: Int)] = []
        for node in nodes {
            let w = try pass.weight(node.inputs[1])
            let out = try pass.output(node.outputs[0])
            parts.append((w.chunks[0], out.slice, out.columns))
        }
        try MatmulKernel.matvec(x: x.slice, n: x.rows, k: x.columns, parts: parts, format: try pass.weight(nodes.first!.inputs[1]).format, pass)
    }
}

/// What decides whether decode products can share a `matvec` dispatch.
enum MatvecOperands {
    /// The weight format of `node` when it is a product of few enough tokens for `matvec` with a
    /// weight in one chunk (one binding); nil otherwise.
    static func format(_ node: OpNode, _ pass: VulkanPass) -> WeightFormat? {
        guard node.kind == .matmul, let x = pass.graph[node.inputs[0]].shape.first,
              x <= MatmulKernel.matvecTokens, case .weight(let format) = pass.graph[node.inputs[1]].kind,
              let w = try? pass.weight(node.inputs[1]), w.chunks.count == 1 else { return nil }
        return format
    }
}
