import Switchyard
import SwitchyardCPUKernels

/// `rmsNorm`: y = x / sqrt(mean(x²) + eps) · weight over each run of weight-length elements.
struct RMSNormKernel: BLASKernel {

    func run(_ node: OpNode, _ io: SegmentIO, _ backend: BLASBackend) throws {
        guard case .rmsNorm(let eps) = node.op else { return }
        let x = try io.host(node.inputs[0])
        let (w, width) = try io.floats(node.inputs[1])
        let out = io.makeHostOutput(node.outputs[0])
        let runs = x.count / width
        backend.pool.parallelFor(runs, minimumPerThread: 64) { range in
            for run in range {
                let src = UnsafePointer(x.storage.baseAddress! + run * width), dst = out.storage.baseAddress! + run * width
                let meanSquare = sy_dot_f32(src, src, Int64(width)) / Float(width)
                let inverse = 1 / (meanSquare + eps).squareRoot()
                sy_binary_f32(SY_BINARY_SCALED_MUL, inverse, src, w, dst, Int64(width))
            }
        }
    }
}
