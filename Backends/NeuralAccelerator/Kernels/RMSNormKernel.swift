import Switchyard
import SwitchyardCPUKernels

/// `rmsNorm`, the unit's LayerNorm over [x, −x] (mean exactly 0): per run of `w` elements,
/// s = dot8(x, x), r = 1 / √(s / w + eps), y = h((x · r) · g) with g the fp16 weight.
struct RMSNormKernel: UnitKernel {
    func run(_ node: OpNode, _ io: SegmentIO, _ unit: AcceleratorBackend) throws {
        guard case .rmsNorm(let eps) = node.op else { return }
        let x = try io.half(node.inputs[0])
        let (g, width) = try io.operand(node.inputs[1])
        let out = io.makeHalfOutput(node)
        let groups = x.count / width
        unit.parallelFor(groups, minimumPerThread: 64) { range in
            for group in range {
                let src = x.base + group * width, dst = out.base + group * width
                let s = sy_half_dot8(src, src, Int64(width))
                let mean = s / Float(width)
                let r = 1 / (mean + eps).squareRoot()
                for i in 0..<width {
                    let normalized = src[i] * r
                    dst[i] = normalized * g[i]
                }
                sy_half_round(dst, Int64(width))
            }
        }
    }
}
