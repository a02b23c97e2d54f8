import Switchyard

/// `embed`: the table rows of the pass's tokens, dequantized, times the scale.
struct EmbedKernel: ReferenceKernel {
    func run(_ node: OpNode, _ io: SegmentIO, _ backend: ReferenceBackend) throws {
        guard case .embed(let scale) = node.op else { return }
        let table = try io.referenceWeight(node.inputs[0])
        let vocabulary = table.weight.shape[0]
        let out = io.makeOutput(node)
        for (i, token) in io.pass.tokens.enumerated() {
            guard token >= 0, Int(token) < vocabulary else { throw ExecutionError.tokenOutOfRange(token: token, vocabularySize: vocabulary) }
            table.row(Int(token), into: out.row(i))
            if scale != 1 {
                for c in 0..<out.columns { out.row(i)[c] *= scale }
            }
        }
    }
}
