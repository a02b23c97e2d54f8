import Switchyard
import SwitchyardCPUKernels

/// `matmul` against a constant weight (the unit's 1×1 convolution): y = h(Σₖ x·w′) with one f32
/// accumulator per output summed over k in order (`sy_half_matmul`, or `sy_half_matmul_coded`
/// where the weight is kept as codes). Threads take panels of 16
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
                let rows = Int64(min(Self.rowBlock, n - r0)), p0 = Int64(range.lowerBound), p1 = Int64(range.upperBound)
                switch panels {
                case .half(let halves):
                    sy_half_matmul(halves.baseAddress!, Int64(k), Int64(m), x.row(r0), Int64(k), rows, out.row(r0), Int64(m), p0, p1)
                case .coded(let codes, let bits):
                    sy_half_matmul_coded(codes.baseAddress!.assumingMemoryBound(to: UInt8.self), Int32(bits), Int64(k), Int64(m),
                                         x.row(r0), Int64(k), rows, out.row(r0), Int64(m), p0, p1)
                }
            }
        }
    }
}
