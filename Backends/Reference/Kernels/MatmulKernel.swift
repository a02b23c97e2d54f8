import Switchyard

/// `matmul`: out[i][j] = Σₖ x[i][k] · w[j][k], each weight row dequantized once and dotted with
/// every token row, in Double. Weight rows are split across threads.
struct MatmulKernel: ReferenceKernel {

    func run(_ node: OpNode, _ io: SegmentIO, _ backend: ReferenceBackend) throws {
        let x = try io.host(node.inputs[0])
        let weight = try io.referenceWeight(node.inputs[1])
        let out = io.makeOutput(node)
        let k = x.columns, m = out.columns, n = x.rows
        backend.parallelFor(m) { rows in
            let w = UnsafeMutablePointer<Float>.allocate(capacity: k)
            defer { w.deallocate() }
            for j in rows {
                weight.row(j, into: w)
                for i in 0..<n {
                    let a = x.row(i)
                    var sum = 0.0
                    for c in 0..<k { sum += Double(a[c]) * Double(w[c]) }
                    out.row(i)[j] = Float(sum)
                }
            }
        }
    }
}
