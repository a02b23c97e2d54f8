import Switchyard
#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// `softmax`: exp(x − max) / Σ exp(x − max) over each row.
struct SoftmaxKernel: ReferenceKernel {
    func run(_ node: OpNode, _ io: SegmentIO, _ backend: ReferenceBackend) throws {
        let x = try io.host(node.inputs[0])
        let out = io.makeOutput(node)
        for r in 0..<x.rows {
            let src = x.row(r), dst = out.row(r)
            var maxValue = -Double.infinity
            for c in 0..<x.columns { maxValue = max(maxValue, Double(src[c])) }
            var total = 0.0
            for c in 0..<x.columns { total += exp(Double(src[c]) - maxValue) }
            for c in 0..<x.columns { dst[c] = Float(exp(Double(src[c]) - maxValue) / total) }
        }
    }
}
