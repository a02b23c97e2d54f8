import Switchyard
import SwitchyardCPUKernels

/// `matmul` against a constant weight (the unit's 1×1 convolution): y = h(Σₖ x·w′) with one f32
/// accumulator per output summed over k in order (`sy_half_matmul`). Threads take panels of 16
/// output columns; prefill rows go in blocks that stay in cache while the panels stream by.
struct MatmulKernel: UnitKernel {
    static let rowBlock = 64

    func run(_ node: OpNode, _ io: SegmentIO, _ unit: AcceleratorBackend) throws {
        let x = try io.half(node.inputs[0])
        let w = try io.unitWeight(node.inputs[1])
        guard let panels = w.panels else {
            throw ExecutionError.backendFailure(backend: unit.name, node: node.name, reason: "weight \(w.shape) is not a matrix")
        }
        let out = io.makeHalfOutput(node)
        let n = x.rows, k = w.reduction, m = w.outputs
        let panelCount = (m + 15) / 16
        unit.parallelFor(panelCount, minimumPerThread: 4) { range in
            for r0 in stride(from: 0, to: n, by: Self.rowBlock) {
                sy_half_matmul(panels.baseAddress!, Int64(k), Int64(m), x.row(r0), Int64(k), Int64(min(Self.rowBlock, n - r0)),
                               out.row(r0), Int64(m), Int64(range.lowerBound), Int64(range.upperBound))
            }
        }
    }
}
