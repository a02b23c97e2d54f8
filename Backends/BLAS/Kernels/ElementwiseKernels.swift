import Switchyard
import SwitchyardCPUKernels

/// `add` and `mul`: a ∘ b, where b has a's shape or is one row broadcast over a's rows.
struct ElementwiseKernel: BLASKernel {
    let kind: OpKind


    func run(_ node: OpNode, _ io: SegmentIO, _ backend: BLASBackend) throws {
        let a = try io.host(node.inputs[0])
        let (b, bCount) = try io.floats(node.inputs[1])
        let out = io.makeHostOutput(node.outputs[0])
        let src = UnsafePointer(a.storage.baseAddress!), dst = out.storage.baseAddress!
        let op = kind == .add ? SY_BINARY_ADD : SY_BINARY_MUL
        for start in stride(from: 0, to: a.count, by: bCount) {
            sy_binary_f32(op, 0, src + start, b, dst + start, Int64(min(bCount, a.count - start)))
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
        let (op, param): (sy_unary_op, Float)
        switch node.op {
        case .scale(let factor): (op, param) = (SY_UNARY_SCALE, factor)
        case .silu: (op, param) = (SY_UNARY_SILU, 0)
        case .gelu: (op, param) = (SY_UNARY_GELU, 0)
        case .softcap(let cap): (op, param) = (SY_UNARY_SOFTCAP, cap)
        default: return
        }
        backend.pool.parallelFor(x.count, minimumPerThread: 1 << 14) { range in
            sy_unary_f32(op, param, src + range.lowerBound, dst + range.lowerBound, Int64(range.count))
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
        let op = kind == .swiglu ? SY_BINARY_SWIGLU : SY_BINARY_GEGLU
        backend.pool.parallelFor(gate.count, minimumPerThread: 1 << 14) { range in
            sy_binary_f32(op, 0, g + range.lowerBound, u + range.lowerBound, dst + range.lowerBound, Int64(range.count))
        }
    }
}

/// `softmax` over each row.
struct SoftmaxKernel: BLASKernel {
    func run(_ node: OpNode, _ io: SegmentIO, _ backend: BLASBackend) throws {
        let x = try io.host(node.inputs[0])
        let out = io.makeHostOutput(node.outputs[0])
        for r in 0..<x.rows {
            let dst = out.row(r)
            dst.update(from: x.row(r), count: x.columns)
            var maximum: Float = 0
            sy_scale_f32(1 / sy_softmax_numerators_f32(dst, Int64(x.columns), &maximum), dst, Int64(x.columns))
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
