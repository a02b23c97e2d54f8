import Switchyard
import SwitchyardCPUKernels

/// `rope` with host-supplied tables: the host's cos/sin per position (the core's `RopeTable`,
/// θ in float64, rounded to f32) come in rounded to fp16; y₀ = h(x₀c − x₁s), y₁ = h(x₀s + x₁c).
struct RopeKernel: UnitKernel {
    func run(_ node: OpNode, _ io: SegmentIO, _ unit: AcceleratorBackend) throws {
        guard case .rope(let p) = node.op else { return }
        let x = try io.half(node.inputs[0])
        let out = io.makeHalfOutput(node)
        var table = RopeTable.values(start: io.pass.startPosition, rows: x.rows, dims: p.rotatedDims,
                                     base: p.base, scale: p.frequencyScale)
        table.withUnsafeMutableBufferPointer { sy_half_round($0.baseAddress!, Int64($0.count)) }
        let half = p.rotatedDims / 2
        for r in 0..<x.rows {
            for h in 0..<p.heads {
                let src = x.row(r) + h * p.headDim, dst = out.row(r) + h * p.headDim
                for i in p.rotatedDims..<p.headDim { dst[i] = src[i] }
                for i in 0..<half {
                    let (a, b) = p.layout == .normal ? (2 * i, 2 * i + 1) : (i, i + half)
                    let c = table[(r * half + i) * 2], s = table[(r * half + i) * 2 + 1]
                    let x0c = src[a] * c, x1s = src[b] * s, x0s = src[a] * s, x1c = src[b] * c
                    dst[a] = x0c - x1s
                    dst[b] = x0s + x1c
                }
            }
        }
        sy_half_round(out.base, Int64(out.count))
    }
}
