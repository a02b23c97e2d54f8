import Switchyard

/// `rmsNorm`: one dispatch of `rms_norm`, one workgroup of 128 per run of `width` elements
/// (n · c / width runs, spread by `WorkgroupGrid`): the run's sum of squares is reduced in shared
/// memory, then y = x · (mean(x²) + eps)^-½ · weight. The weight is read through its f32 copy.
struct RMSNormKernel: VulkanKernel {
    func support(_ node: OpNode, in graph: ForwardGraph, device: VulkanDeviceDescription) -> OpSupport {
        let weight = graph[node.inputs[1]]
        guard weight.kind.isWeight else { return .unsupported("the norm weight is not a model weight") }
        guard weight.elementCount <= VulkanWeight.floatCopyLimit else {
            return .unsupported("a norm weight over \(VulkanWeight.floatCopyLimit) elements (no f32 copy)")
        }
        return .supported
    }

    func encode(_ node: OpNode, _ pass: VulkanPass) throws {
        guard case .rmsNorm(let eps) = node.op else { return }
        let x = try pass.tensor(node.inputs[0])
        guard let weight = try pass.weight(node.inputs[1]).floats else {
            throw VulkanError.unsupported("\(pass.graph[node.inputs[1]].name) has no f32 copy")
        }
        let width = pass.graph[node.inputs[1]].elementCount
        let out = try pass.output(node.outputs[0])
        let runs = x.count / width
        try pass.dispatch("rms_norm", reads: [x.slice, weight], writes: [out.slice],
                          push: [.u(runs), .u(width), .f(eps)],
                          groups: WorkgroupGrid.groups(runs))
    }
}
