import Switchyard

/// `add` and `mul`: a ∘ b, where b has a's shape or is one row broadcast over a's rows.
struct ElementwiseKernel: ReferenceKernel {
    let kind: OpKind


    func run(_ node: OpNode, _ io: SegmentIO, _ backend: ReferenceBackend) throws {
        let a = try io.host(node.inputs[0])
        let b = try vector(node.inputs[1], io)
        let out = io.makeOutput(node)
        for i in 0..<a.count {
            let x = a.storage[i], y = b[i % b.count]
            out.storage[i] = kind == .add ? x + y : x * y
        }
    }

    /// The second operand's elements: an activation, or a (1-D) weight dequantized.
    private func vector(_ id: ValueID, _ io: SegmentIO) throws -> [Float] {
        if let host = try io.tensor(id) as? HostTensor { return host.array }
        let w = try io.referenceWeight(id)
        var values = [Float](repeating: 0, count: w.weight.elementCount)
        for r in 0..<w.weight.rowCount { values.withUnsafeMutableBufferPointer { w.row(r, into: $0.baseAddress! + r * w.weight.rowLength) } }
        return values
    }
}
