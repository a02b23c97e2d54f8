import Switchyard
import SwitchyardCPUKernels

/// `attention` over the fixed-size fp16 KV buffers with the host's mask (causal, sliding window;
/// GQA/MQA by head index). Per query row and head, over the unmasked buffer rows in increasing row
/// order: s = h(dot8(q, k)), t = h(s · h(scale)), e = exp-table(t − max t), S = Σe in order,
/// p = h(e / S), o = h(Σ p·v in order). Masked rows are skipped, not multiplied.
struct AttentionKernel: UnitKernel {
    func run(_ node: OpNode, _ io: SegmentIO, _ unit: AcceleratorBackend) throws {
        guard case .attention(let p) = node.op else { return }
        let q = try io.half(node.inputs[0]), keys = try io.half(node.inputs[1]), values = try io.half(node.inputs[2])
        let out = io.makeHalfOutput(node)
        let capacity = keys.rows, d = p.headDim, group = p.heads / p.kvHeads
        let scale = HalfFloat.float(fromFP16: HalfFloat.fp16(from: p.scale))
        let start = io.pass.startPosition
        if let window = p.window, window + q.rows - 1 > capacity, start + q.rows > capacity {
            throw ExecutionError.contextOverflow(needed: window + q.rows - 1, capacity: capacity)
        }
        if p.window == nil && start + q.rows > capacity {
            throw ExecutionError.contextOverflow(needed: start + q.rows, capacity: capacity)
        }
        unit.parallelFor(q.rows * p.heads, minimumPerThread: 8) { range in
            let scores = UnsafeMutablePointer<Float>.allocate(capacity: capacity)
            let rowsSeen = UnsafeMutablePointer<Int>.allocate(capacity: capacity)
            let sum = UnsafeMutablePointer<Float>.allocate(capacity: d)
            defer { scores.deallocate(); rowsSeen.deallocate(); sum.deallocate() }
            for item in range {
                let r = item / p.heads, h = item % p.heads, kv = h / group
                let position = start + r
                let oldest = p.window.map { max(0, position - $0 + 1) } ?? 0
                // The unmasked buffer rows in increasing row order: one run, or two when the span wraps the ring.
                var count = 0
                let first = oldest % capacity, last = position % capacity
                if position - oldest < capacity && first <= last {
                    for b in first...last { rowsSeen[count] = b; count += 1 }
                } else {
                    for b in 0...last { rowsSeen[count] = b; count += 1 }
                    for b in first..<capacity { rowsSeen[count] = b; count += 1 }
                }
                let query = q.row(r) + h * d
                for j in 0..<count { scores[j] = sy_half_dot8(query, keys.row(rowsSeen[j]) + kv * d, Int64(d)) }
                sy_half_round(scores, Int64(count))
                for j in 0..<count { scores[j] = scores[j] * scale }
                sy_half_round(scores, Int64(count))
                softmaxRow(scores, count: count, into: scores)
                sy_half_round(scores, Int64(count))
                sum.initialize(repeating: 0, count: d)
                for j in 0..<count {
                    let weight = scores[j], v = values.row(rowsSeen[j]) + kv * d
                    for i in 0..<d { sum[i] += weight * v[i] }
                }
                let o = out.row(r) + h * d
                o.update(from: sum, count: d)
                sy_half_round(o, Int64(d))
            }
        }
    }
}
