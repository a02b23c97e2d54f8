import Switchyard

/// `embed`: one dispatch of `embed_<format>` per table chunk, one workgroup of 128 per token
/// (spread by `WorkgroupGrid`); each writes the rows of the tokens whose table row lies in its
/// chunk, dequantized and times the scale. Push: n, d, firstRow, chunkRows, scale.
/// Token ids are checked on the host first, as the reference does.
struct EmbedKernel: VulkanKernel {
    func support(_ node: OpNode, in graph: ForwardGraph, device: VulkanDeviceDescription) -> OpSupport {
        let table = graph[node.inputs[0]]
        guard case .weight(let format) = table.kind else { return .unsupported("the embedding table is not a model weight") }
        let d = table.shape.last ?? 1
        guard d % format.blockSize == 0 else {
            return .unsupported("rows of \(d) elements are not whole \(format) blocks of \(format.blockSize)")
        }
        return .supported
    }

    func encode(_ node: OpNode, _ pass: VulkanPass) throws {
        guard case .embed(let scale) = node.op else { return }
        let table = try pass.weight(node.inputs[0])
        let vocabulary = table.shape[0]
        for token in pass.context.tokens where token < 0 || Int(token) >= vocabulary {
            throw ExecutionError.tokenOutOfRange(token: token, vocabularySize: vocabulary)
        }
        let out = try pass.output(node.outputs[0])
        let n = out.rows, d = table.rowLength
        for chunk in table.chunks where chunk.rows > 0 {
            try pass.dispatch("embed_" + table.format.rawValue, reads: [chunk.slice], writes: [out.slice],
                              push: [.u(n), .u(d), .u(chunk.firstRow), .u(chunk.rows), .f(scale)],
                              groups: WorkgroupGrid.groups(n))
        }
    }
}
