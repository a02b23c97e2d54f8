import Switchyard

/// A sandwich norm's `rmsNorm` (post-norm of a block's output), the residual `add` and the next
/// block's `rmsNorm`, all over whole rows, in one dispatch of `norm_add_norm` (Gemma 3 has two per
/// layer): two dispatches and two barriers fewer each. All three outputs are written.
struct NormAddNormFusion: VulkanFusion {
    func match(_ nodes: ArraySlice<OpNode>, in pass: VulkanPass) -> Int? {
        guard nodes.count >= 3 else { return nil }
        let i = nodes.startIndex
        let post = nodes[i], add = nodes[i + 1], pre = nodes[i + 2]
        guard post.kind == .rmsNorm, add.kind == .add, pre.kind == .rmsNorm, pre.inputs[0] == add.outputs[0],
              add.inputs.contains(post.outputs[0]), add.inputs[0] != add.inputs[1] else { return nil }
        let graph = pass.graph
        let o = graph[post.inputs[0]], x = graph[residual(post, add)]
        guard o.kind == .activation, x.kind == .activation, x.shape == o.shape else { return nil }
        for norm in [post, pre] {
            let w = graph[norm.inputs[1]]
            guard w.kind.isWeight, w.elementCount == o.shape.last, w.elementCount <= VulkanWeight.floatCopyLimit else { return nil }
        }
        return 3
    }

    /// The add's other operand: the residual stream.
    private func residual(_ post: OpNode, _ add: OpNode) -> ValueID {
        add.inputs[0] == post.outputs[0] ? add.inputs[1] : add.inputs[0]
    }

    func encode(_ nodes: ArraySlice<OpNode>, _ pass: VulkanPass) throws {
        let i = nodes.startIndex
        let post = nodes[i], add = nodes[i + 1], pre = nodes[i + 2]
        guard case .rmsNorm(let eps1) = post.op, case .rmsNorm(let eps2) = pre.op else { return }
        let o = try pass.tensor(post.inputs[0]), x = try pass.tensor(residual(post, add))
        guard let w1 = try pass.weight(post.inputs[1]).floats, let w2 = try pass.weight(pre.inputs[1]).floats else {
            throw VulkanError.unsupported("a norm weight has no f32 copy")
        }
        let p = try pass.output(post.outputs[0]), s = try pass.output(add.outputs[0]), out = try pass.output(pre.outputs[0])
        try pass.dispatch("norm_add_norm", reads: [o.slice, x.slice, w1, w2], writes: [p.slice, s.slice, out.slice],
                          push: [.u(o.rows), .u(o.columns), .f(eps1), .f(eps2)], groups: WorkgroupGrid.groups(o.rows))
    }
}
