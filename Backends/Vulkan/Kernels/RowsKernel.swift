import Switchyard

/// `rows`: one dispatch of `rows` copying rows start..<start+count, one invocation per element
/// (workgroups of 256, spread by `WorkgroupGrid`).
struct RowsKernel: VulkanKernel {
    func encode(_ node: OpNode, _ pass: VulkanPass) throws {
        guard case .rows(let start, let count) = node.op else { return }
        let x = try pass.tensor(node.inputs[0])
        let out = try pass.output(node.outputs[0])
        let elements = count * x.columns
        try pass.dispatch("rows", reads: [x.slice], writes: [out.slice],
                          push: [.u(elements), .u(start * x.columns)],
                          groups: WorkgroupGrid.groups(elements: elements))
    }
}
