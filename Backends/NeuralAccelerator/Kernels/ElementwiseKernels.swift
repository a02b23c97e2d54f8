import Switchyard
import SwitchyardCPUKernels

/// `add` and `mul`: h(a + b), h(a · b) in f32, b of a's shape or one row broadcast over a's rows.
struct ElementwiseKernel: UnitKernel {
    let kind: OpKind

    func run(_ node: OpNode, _ io: SegmentIO, _ unit: AcceleratorBackend) throws {
        let a = try io.half(node.inputs[0])
        let (b, bCount) = try io.operand(node.inputs[1])
        let out = io.makeHalfOutput(node)
        let y = out.base, x = a.base, columns = a.columns
        let broadcast = bCount != a.count
        for i in 0..<a.count {
            let other = b[broadcast ? i % columns : i]
            y[i] = kind == .add ? x[i] + other : x[i] * other
        }
        sy_half_round(y, Int64(out.count))
    }
}

/// `scale`: h(x · h(factor)).
struct ScaleKernel: UnitKernel {
    func run(_ node: OpNode, _ io: SegmentIO, _ unit: AcceleratorBackend) throws {
        guard case .scale(let factor) = node.op else { return }
        let constant = HalfFloat.float(fromFP16: HalfFloat.fp16(from: factor))
        let x = try io.half(node.inputs[0])
        let out = io.makeHalfOutput(node)
        for i in 0..<x.count { out.base[i] = x.base[i] * constant }
        sy_half_round(out.base, Int64(out.count))
    }
}

/// `rows`: a static slice, copied.
struct RowsKernel: UnitKernel {
    func run(_ node: OpNode, _ io: SegmentIO, _ unit: AcceleratorBackend) throws {
        guard case .rows(let start, let count) = node.op else { return }
        let x = try io.half(node.inputs[0])
        let out = io.makeHalfOutput(node)
        out.base.update(from: x.row(start), count: count * x.columns)
    }
}

/// `silu` and `gelu` through the unit's lookup tables, rounded to fp16.
struct ActivationKernel: UnitKernel {
    let table: LookupTable

    func run(_ node: OpNode, _ io: SegmentIO, _ unit: AcceleratorBackend) throws {
        let x = try io.half(node.inputs[0])
        let out = io.makeHalfOutput(node)
        for i in 0..<x.count { out.base[i] = table(x.base[i]) }
        sy_half_round(out.base, Int64(out.count))
    }
}

/// `swiglu` and `geglu` as the unit's two ops: a = h(table(gate)), then h(a · up).
struct GatedKernel: UnitKernel {
    let table: LookupTable

    func run(_ node: OpNode, _ io: SegmentIO, _ unit: AcceleratorBackend) throws {
        let gate = try io.half(node.inputs[0]), up = try io.half(node.inputs[1])
        let out = io.makeHalfOutput(node)
        let y = out.base
        for i in 0..<gate.count { y[i] = table(gate.base[i]) }
        sy_half_round(y, Int64(out.count))
        for i in 0..<gate.count { y[i] = y[i] * up.base[i] }
        sy_half_round(y, Int64(out.count))
    }
}

/// `softmax` over each row: e = exp-table(x − max), s = Σe in order, y = h(e / s).
struct SoftmaxKernel: UnitKernel {
    func run(_ node: OpNode, _ io: SegmentIO, _ unit: AcceleratorBackend) throws {
        let x = try io.half(node.inputs[0])
        let out = io.makeHalfOutput(node)
        for r in 0..<x.rows {
            softmaxRow(x.row(r), count: x.columns, into: out.row(r))
        }
        sy_half_round(out.base, Int64(out.count))
    }
}

/// The unit's softmax of `count` values (before the final fp16 rounding): NaN-free rows only
/// matter here; a NaN input makes the row NaN.
@inline(__always)
func softmaxRow(_ x: UnsafePointer<Float>, count: Int, into y: UnsafeMutablePointer<Float>) {
    var largest = -Float.infinity
    for i in 0..<count { largest = max(largest, x[i]) }
    var sum: Float = 0
    for i in 0..<count {
        let difference = x[i] - largest
        y[i] = LookupTable.exponential(difference)
        sum += y[i]
    }
    for i in 0..<count { y[i] = y[i] / sum }
}
