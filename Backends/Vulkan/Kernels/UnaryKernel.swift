import Switchyard

/// `scale`, `silu`, `gelu` (tanh form) and `softcap`: one dispatch of `unary`, one invocation per
/// element (workgroups of 256, spread by `WorkgroupGrid`), the function chosen by an op code.
struct UnaryKernel: VulkanKernel {
    let kind: OpKind

    func encode(_ node: OpNode, _ pass: VulkanPass) throws {
        // Op codes and the parameter as unary.comp reads them.
        let (code, parameter): (Int, Float)
        switch node.op {
        case .scale(let factor): (code, parameter) = (0, factor)
        case .silu: (code, parameter) = (1, 0)
        case .gelu: (code, parameter) = (2, 0)
        case .softcap(let cap): (code, parameter) = (3, cap)
        default: throw VulkanError.unsupported("\(node.kind.rawValue) is not a unary op")
        }
        let x = try pass.tensor(node.inputs[0])
        let out = try pass.output(node.outputs[0])
        try pass.dispatch("unary", reads: [x.slice], writes: [out.slice],
                          push: [.u(x.count), .u(code), .f(parameter)],
                          groups: WorkgroupGrid.groups(elements: x.count))
    }
}
