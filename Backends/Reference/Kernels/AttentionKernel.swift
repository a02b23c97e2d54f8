import Switchyard
#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// `attention`: for each query row at position p and each head, softmax(scale · q·kₜ) over the
/// cached positions t the query may see (t ≤ p, and t > p − window with a sliding window), then the
/// weighted sum of vₜ. Query head h reads KV head h / (heads / kvHeads). Position t is cache row
/// t % rows; the cache must hold every position from the oldest one a query of the pass sees to the
/// newest one the pass wrote.
struct AttentionKernel: ReferenceKernel {

    func run(_ node: OpNode, _ io: SegmentIO, _ backend: ReferenceBackend) throws {
        guard case .attention(let p) = node.op else { return }
        let q = try io.host(node.inputs[0])
        let kCache = try io.host(node.inputs[1]), vCache = try io.host(node.inputs[2])
        let out = io.makeOutput(node)
        let group = p.heads / p.kvHeads
        let cacheRows = kCache.rows
        let newest = io.pass.position(q.rows - 1)
        let oldest = p.window.map { max(0, io.pass.startPosition - $0 + 1) } ?? 0
        guard newest - oldest < cacheRows else { throw ExecutionError.contextOverflow(needed: newest - oldest + 1, capacity: cacheRows) }
        backend.parallelFor(q.rows * p.heads) { items in
            var scores = [Double](repeating: 0, count: newest + 1)
            var sum = [Double](repeating: 0, count: p.headDim)
            for item in items {
                let r = item / p.heads, h = item % p.heads
                let position = io.pass.position(r)
                let first = p.window.map { max(0, position - $0 + 1) } ?? 0
                let query = q.row(r) + h * p.headDim
                let kvOffset = (h / group) * p.headDim
                var maxScore = -Double.infinity
                for t in first...position {
                    let key = kCache.row(t % cacheRows) + kvOffset
                    var dot = 0.0
                    for i in 0..<p.headDim { dot += Double(query[i]) * Double(key[i]) }
                    var s = dot * Double(p.scale)
                    if let cap = p.softcap { s = Double(cap) * tanh(s / Double(cap)) }
                    scores[t] = s
                    maxScore = max(maxScore, s)
                }
                var total = 0.0
                for t in first...position { scores[t] = exp(scores[t] - maxScore); total += scores[t] }
                for i in 0..<p.headDim { sum[i] = 0 }
                for t in first...position {
                    let value = vCache.row(t % cacheRows) + kvOffset
                    let weight = scores[t] / total
                    for i in 0..<p.headDim { sum[i] += weight * Double(value[i]) }
                }
                let dst = out.row(r) + h * p.headDim
                for i in 0..<p.headDim { dst[i] = Float(sum[i]) }
            }
        }
    }
}
