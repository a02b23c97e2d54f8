import Switchyard

/// `softmax` over each row: one dispatch of `softmax`, one workgroup of 256 per row (spread by
/// `WorkgroupGrid`); the row's maximum and sum are reduced in shared memory.
struct SoftmaxKernel: VulkanKernel {
    func encode(_ node: OpNode, _ pass: VulkanPass) throws {
        let x = try pass.tensor(node.inputs[0])
        let out = try pass.output(node.outputs[0])
        try pass.dispatch("softmax", reads: [x.slice], writes: [out.slice],
                          push: [.u(x.rows), .u(x.columns)],
                          groups: WorkgroupGrid.groups(x.rows))
    }
}
