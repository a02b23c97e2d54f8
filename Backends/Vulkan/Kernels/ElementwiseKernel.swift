import Switchyard

/// `add` and `mul`: one dispatch of `binary`, one invocation per element of a (workgroups of 256,
/// spread by `WorkgroupGrid`). b has a's shape or is one row broadcast over a's rows; a weight b is
/// read through its f32 copy.
struct ElementwiseKernel: VulkanKernel {
    let kind: OpKind

    func support(_ node: OpNode, in graph: ForwardGraph, device: VulkanDeviceDescription) -> OpSupport {
        let b = graph[node.inputs[1]]
        guard !b.kind.isWeight || b.elementCount <= VulkanWeight.floatCopyLimit else {
            return .unsupported("a weight operand over \(VulkanWeight.floatCopyLimit) elements (no f32 copy)")
        }
        return .supported
    }

    func encode(_ node: OpNode, _ pass: VulkanPass) throws {
        let a = try pass.tensor(node.inputs[0])
        let id = node.inputs[1]
        let b: BufferSlice
        if pass.isWeight(id) {
            guard let floats = try pass.weight(id).floats else { throw VulkanError.unsupported("\(pass.graph[id].name) has no f32 copy") }
            b = floats
        } else {
            b = try pass.tensor(id).slice
        }
        let out = try pass.output(node.outputs[0])
        try pass.dispatch("binary", reads: [a.slice, b], writes: [out.slice],
                          push: [.u(a.count), .u(pass.graph[id].elementCount), .u(kind == .add ? 0 : 1)],
                          groups: WorkgroupGrid.groups(elements: a.count))
    }
}
