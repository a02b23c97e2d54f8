import Switchyard

/// `add` then the `rmsNorm` of its sum over whole rows (the residual stream and the next norm, as
/// in every pre-norm transformer layer) in one dispatch of `add_rms_norm`: one workgroup of 128 per
/// row writes the sum (still read later) and the normalised row. Decode on a GPU is bound by
/// dispatches and barriers, so this saves one of each per pair (two per layer in both models).
struct AddRMSNormFusion: VulkanFusion {
    func match(_ nodes: ArraySlice<OpNode>, in pass: VulkanPass) -> Int? {
        let graph = pass.graph
        guard nodes.count >= 2 else { return nil }
        let add = nodes[nodes.startIndex], norm = nodes[nodes.startIndex + 1]
        guard add.kind == .add, norm.kind == .rmsNorm, norm.inputs[0] == add.outputs[0] else { return nil }
        let a = graph[add.inputs[0]], b = graph[add.inputs[1]], w = graph[norm.inputs[1]]
        guard a.kind == .activation, b.kind == .activation, a.shape == b.shape,
              w.kind.isWeight, w.elementCount == a.shape.last, w.elementCount <= VulkanWeight.floatCopyLimit else { return nil }
        return 2
    }

    func encode(_ nodes: ArraySlice<OpNode>, _ pass: VulkanPass) throws {
        let add = nodes[nodes.startIndex], norm = nodes[nodes.startIndex + 1]
        guard case .rmsNorm(let eps) = norm.op else { return }
        let a = try pass.tensor(add.inputs[0]), b = try pass.tensor(add.inputs[1])
        guard let weight = try pass.weight(norm.inputs[1]).floats else {
            throw VulkanError.unsupported("\(pass.graph[norm.inputs[1]].name) has no f32 copy")
        }
        let sum = try pass.output(add.outputs[0])
        let out = try pass.output(norm.outputs[0])
        try pass.dispatch("add_rms_norm", reads: [a.slice, b.slice, weight], writes: [sum.slice, out.slice],
                          push: [.u(a.rows), .u(a.columns), .f(eps)], groups: WorkgroupGrid.groups(a.rows))
    }
}
