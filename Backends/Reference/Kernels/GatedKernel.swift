import Switchyard

/// `swiglu` and `geglu`: act(gate) · up, element by element.
struct GatedKernel: ReferenceKernel {
    let kind: OpKind

    func run(_ node: OpNode, _ io: SegmentIO, _ backend: ReferenceBackend) throws {
        let gate = try io.host(node.inputs[0]), up = try io.host(node.inputs[1])
        let out = io.makeOutput(node)
        let act = kind == .swiglu ? Activation.silu : Activation.gelu
        for i in 0..<gate.count { out.storage[i] = Float(act(Double(gate.storage[i])) * Double(up.storage[i])) }
    }
}
