import Switchyard
#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// `rope`: rotates pairs of each head's first `rotatedDims` dimensions by position × θᵢ, where
/// θᵢ = base^(−2i / rotatedDims). Normal layout pairs (2i, 2i+1); NeoX pairs (i, i + rotatedDims/2).
struct RopeKernel: ReferenceKernel {

    func run(_ node: OpNode, _ io: SegmentIO, _ backend: ReferenceBackend) throws {
        guard case .rope(let p) = node.op else { return }
        let x = try io.host(node.inputs[0])
        let out = io.makeOutput(node)
        let half = p.rotatedDims / 2
        for r in 0..<x.rows {
            let position = Double(io.pass.position(r)) * Double(p.frequencyScale)
            for h in 0..<p.heads {
                let src = x.row(r) + h * p.headDim, dst = out.row(r) + h * p.headDim
                for i in p.rotatedDims..<p.headDim { dst[i] = src[i] }
                for i in 0..<half {
                    let theta = position * pow(Double(p.base), -2 * Double(i) / Double(p.rotatedDims))
                    let (a, b) = p.layout == .normal ? (2 * i, 2 * i + 1) : (i, i + half)
                    let x0 = Double(src[a]), x1 = Double(src[b])
                    dst[a] = Float(x0 * cos(theta) - x1 * sin(theta))
                    dst[b] = Float(x0 * sin(theta) + x1 * cos(theta))
                }
            }
        }
    }
}
