import Switchyard
#if canImport(Glibc)
import Glibc
#endif

/// `add` and `mul`: a ∘ b, where b has a's shape or is one row broadcast over a's rows.
struct ElementwiseKernel: BLASKernel {
    let kind: OpKind


    func run(_ node: OpNode, _ io: SegmentIO, _ backend: BLASBackend) throws {
        let a = try io.host(node.inputs[0])
        let (b, bCount) = try io.floats(node.inputs[1])
        let out = io.makeHostOutput(node.outputs[0])
        let src = UnsafePointer(a.storage.baseAddress!), dst = out.storage.baseAddress!
        let add = kind == .add
        for start in stride(from: 0, to: a.count, by: bCount) {
            let length = min(bCount, a.count - start)
            VectorMath.zip(src + start, b, dst + start, length) { x, y in add ? x + y : x * y }
        }
    }
}

/// Elementwise functions of one input: `scale`, `silu`, `gelu` (tanh form), `softcap`.
struct UnaryKernel: BLASKernel {
    let kind: OpKind

    func run(_ node: OpNode, _ io: SegmentIO, _ backend: BLASBackend) throws {
        let x = try io.host(node.inputs[0])
        let out = io.makeHostOutput(node.outputs[0])
        let src = UnsafePointer(x.storage.baseAddress!), dst = out.storage.baseAddress!
        let op = node.op
        backend.pool.parallelFor(x.count, minimumPerThread: 1 << 14) { range in
            let (s, d, n) = (src + range.lowerBound, dst + range.lowerBound, range.count)
            // Literal closures, so each function inlines into the loop.
            switch op {
            case .scale(let factor): VectorMath.map(s, d, n) { $0 * factor }
            case .silu: VectorMath.map(s, d, n) { VectorMath.silu($0) }
            case .gelu: VectorMath.map(s, d, n) { VectorMath.gelu($0) }
            case .softcap(let cap): VectorMath.map(s, d, n) { cap * (1 - 2 / (VectorMath.exp(2 * $0 / cap) + 1)) }
            default: break
            }
        }
    }
}

/// `swiglu` and `geglu`: act(gate) · up.
struct GatedKernel: BLASKernel {
    let kind: OpKind

    func run(_ node: OpNode, _ io: SegmentIO, _ backend: BLASBackend) throws {
        let gate = try io.host(node.inputs[0]), up = try io.host(node.inputs[1])
        let out = io.makeHostOutput(node.outputs[0])
        let g = UnsafePointer(gate.storage.baseAddress!), u = UnsafePointer(up.storage.baseAddress!), dst = out.storage.baseAddress!
        let swiglu = kind == .swiglu
        backend.pool.parallelFor(gate.count, minimumPerThread: 1 << 14) { range in
            let (a, b, d, n) = (g + range.lowerBound, u + range.lowerBound, dst + range.lowerBound, range.count)
            // Literal closures, so the activation inlines into the loop.
            if swiglu {
                VectorMath.zip(a, b, d, n) { VectorMath.silu($0) * $1 }
            } else {
                VectorMath.zip(a, b, d, n) { VectorMath.gelu($0) * $1 }
            }
        }
    }
}

/// `softmax` over each row.
struct SoftmaxKernel: BLASKernel {
    func run(_ node: OpNode, _ io: SegmentIO, _ backend: BLASBackend) throws {
        let x = try io.host(node.inputs[0])
        let out = io.makeHostOutput(node.outputs[0])
        for r in 0..<x.rows {
            let src = x.row(r), dst = out.row(r)
            var maxValue = -Float.infinity
            for c in 0..<x.columns { maxValue = max(maxValue, src[c]) }
            var total: Float = 0
            VectorMath.map(src, dst, x.columns) { VectorMath.exp($0 - maxValue) }
            for c in 0..<x.columns { total += dst[c] }
            let inverse = 1 / total
            for c in 0..<x.columns { dst[c] *= inverse }
        }
    }
}

/// `rows`: a copy of rows start..<start+count.
struct RowsKernel: BLASKernel {

    func run(_ node: OpNode, _ io: SegmentIO, _ backend: BLASBackend) throws {
        guard case .rows(let start, let count) = node.op else { return }
        let x = try io.host(node.inputs[0])
        let out = io.makeHostOutput(node.outputs[0])
        out.storage.baseAddress!.update(from: x.row(start), count: count * x.columns)
    }
}
