import Switchyard

/// `swiglu` (silu(gate) · up) and `geglu` (gelu(gate) · up): one dispatch of `gated`, one
/// invocation per element (workgroups of 256, spread by `WorkgroupGrid`).
struct GatedKernel: VulkanKernel {
    let kind: OpKind

    func encode(_ node: OpNode, _ pass: VulkanPass) throws {
        let gate = try pass.tensor(node.inputs[0]), up = try pass.tensor(node.inputs[1])
        let out = try pass.output(node.outputs[0])
        try pass.dispatch("gated", reads: [gate.slice, up.slice], writes: [out.slice],
                          push: [.u(gate.count), .u(kind == .swiglu ? 0 : 1)],
                          groups: WorkgroupGrid.groups(elements: gate.count))
    }
}
