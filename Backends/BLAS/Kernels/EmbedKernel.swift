import Switchyard
import SwitchyardCPUKernels

/// `embed`: the table rows of the pass's tokens, dequantized by the SIMD kernel, times the scale.
struct EmbedKernel: BLASKernel {
    func run(_ node: OpNode, _ io: SegmentIO, _ backend: BLASBackend) throws {
        guard case .embed(let scale) = node.op else { return }
        let table = try io.blasWeight(node.inputs[0])
        let out = io.makeHostOutput(node.outputs[0])
        for (i, token) in io.pass.tokens.enumerated() {
            guard token >= 0, Int(token) < table.rows else { throw ExecutionError.tokenOutOfRange(token: token, vocabularySize: table.rows) }
            sy_dequantize_row(table.format, table.row(Int(token)), Int64(table.columns), out.row(i))
            if scale != 1 { for c in 0..<out.columns { out.row(i)[c] *= scale } }
        }
    }
}
