import Switchyard

/// `rope`: one dispatch of `rope`, one invocation per (row, head, item), where a head's items are
/// its rotatedDims / 2 pairs and then its headDim − rotatedDims copied dimensions (workgroups of
/// 256, spread by `WorkgroupGrid`). cos/sin come from the pass buffer's table for these
/// parameters, so the recorded dispatch serves any start position.
struct RopeKernel: VulkanKernel {
    func encode(_ node: OpNode, _ pass: VulkanPass) throws {
        guard case .rope(let p) = node.op else { return }
        let x = try pass.tensor(node.inputs[0])
        let out = try pass.output(node.outputs[0])
        let items = x.rows * p.heads * (p.rotatedDims / 2 + p.headDim - p.rotatedDims)
        try pass.dispatch("rope", reads: [x.slice], writes: [out.slice],
                          push: [.u(items), .u(p.heads), .u(p.headDim), .u(p.rotatedDims),
                                 .u(p.layout == .neox ? 1 : 0), .u(pass.ropeTable(p))],
                          groups: WorkgroupGrid.groups(elements: items))
    }
}
