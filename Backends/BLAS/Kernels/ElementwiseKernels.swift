import Switchyard
#if canImport(Glibc)
import Glibc
#endif

/// `add` and `mul`: a ∘ b, where b has a's shape or is one row broadcast over a's rows.
struct ElementwiseKernel: BLASKernel {
    let kind: OpKind

    func support(_ node: OpNode, in graph: ForwardGraph) -> OpSupport {
        let a = graph[node.inputs[0]], b = graph[node.inputs[1]]
        return b.shape == a.shape || b.elementCount == a.shape.last! ? .supported : .unsupported("shapes \(a.shape) and \(b.shape) do not broadcast")
    }

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
        let f: (VectorMath.V) -> VectorMath.V
        switch node.op {
        case .scale(let factor): f = { $0 * factor }
        case .silu: f = VectorMath.silu
        case .gelu: f = VectorMath.gelu
        case .softcap(let cap): f = { v in cap * (1 - 2 / (VectorMath.exp(2 * v / cap) + 1)) }
        default: return
        }
        let src = UnsafePointer(x.storage.baseAddress!), dst = out.storage.baseAddress!
        backend.pool.parallelFor(x.count, minimumPerThread: 1 << 14) { range in
            VectorMath.map(src + range.lowerBound, dst + range.lowerBound, range.count, f)
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
        let act: (VectorMath.V) -> VectorMath.V = kind == .swiglu ? VectorMath.silu : VectorMath.gelu
        backend.pool.parallelFor(gate.count, minimumPerThread: 1 << 14) { range in
            VectorMath.zip(g + range.lowerBound, u + range.lowerBound, dst + range.lowerBound, range.count) { a, b in act(a) * b }
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
    func support(_ node: OpNode, in graph: ForwardGraph) -> OpSupport {
        guard case .rows(let start, let count) = node.op else { return .unsupported("not rows") }
        return start >= 0 && count > 0 && start + count <= graph[node.inputs[0]].shape[0] ? .supported : .unsupported("rows out of range")
    }

    func run(_ node: OpNode, _ io: SegmentIO, _ backend: BLASBackend) throws {
        guard case .rows(let start, let count) = node.op else { return }
        let x = try io.host(node.inputs[0])
        let out = io.makeHostOutput(node.outputs[0])
        out.storage.baseAddress!.update(from: x.row(start), count: count * x.columns)
    }
}
