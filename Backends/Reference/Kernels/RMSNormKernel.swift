import Switchyard

/// `rmsNorm`: y = x / sqrt(mean(x²) + eps) * weight, over each run of weight-length elements.
struct RMSNormKernel: ReferenceKernel {

    func run(_ node: OpNode, _ io: SegmentIO, _ backend: ReferenceBackend) throws {
        guard case .rmsNorm(let eps) = node.op else { return }
        let x = try io.host(node.inputs[0])
        let weight = try io.referenceWeight(node.inputs[1])
        let width = weight.weight.elementCount
        var w = [Float](repeating: 0, count: width)
        weight.row(0, into: &w)
        let out = io.makeOutput(node)
        for r in 0..<x.rows {
            for start in stride(from: 0, to: x.columns, by: width) {
                let src = x.row(r) + start, dst = out.row(r) + start
                var sumOfSquares = 0.0
                for i in 0..<width { sumOfSquares += Double(src[i]) * Double(src[i]) }
                let inverseRMS = 1 / (sumOfSquares / Double(width) + Double(eps)).squareRoot()
                for i in 0..<width { dst[i] = Float(Double(src[i]) * inverseRMS * Double(w[i])) }
            }
        }
    }
}
