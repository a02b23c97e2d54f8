import Switchyard

/// `rope`: rotates pairs of each head's first `rotatedDims` dimensions, from cos/sin tables
/// computed once per pass (in Double) and shared by every rope op of the pass.
struct RopeKernel: BLASKernel {

    func run(_ node: OpNode, _ io: SegmentIO, _ backend: BLASBackend) throws {
        guard case .rope(let p) = node.op else { return }
        let x = try io.host(node.inputs[0])
        let out = io.makeHostOutput(node.outputs[0])
        let half = p.rotatedDims / 2
        let table = backend.ropeTables.table(.init(start: io.pass.startPosition, rows: x.rows, dims: p.rotatedDims, base: p.base, scale: p.frequencyScale))
        table.withUnsafeBufferPointer { t in
            backend.pool.parallelFor(x.rows, minimumPerThread: 16) { rows in
                for r in rows {
                    let cs = t.baseAddress! + r * half * 2
                    for h in 0..<p.heads {
                        let src = x.row(r) + h * p.headDim, dst = out.row(r) + h * p.headDim
                        for i in p.rotatedDims..<p.headDim { dst[i] = src[i] }
                        for i in 0..<half {
                            let (a, b) = p.layout == .normal ? (2 * i, 2 * i + 1) : (i, i + half)
                            let c = cs[2 * i], s = cs[2 * i + 1]
                            let x0 = src[a], x1 = src[b]
                            dst[a] = x0 * c - x1 * s
                            dst[b] = x0 * s + x1 * c
                        }
                    }
                }
            }
        }
    }
}
