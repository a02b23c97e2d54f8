import Foundation
import Switchyard
import Synchronization

/// A second, independent backend for tests, on its own compute unit (`.accelerator`) with its own
/// tensors (`SplitTestTensor`, not `HostTensor`), so every tensor that reaches it or leaves it is a
/// real transfer through `upload` and `download`. It runs a subset of the ops, written afresh in
/// plain `Float` loops (no reference kernel is called): `matmul` (any weight format, rows
/// dequantized with `Dequantize.row`), `add`, `mul`, `rmsNorm`, `swiglu`, `silu`, `scale`, `rows`.
/// It refuses the rest, with a reason, the way a fixed-function accelerator would: `embed` (gather
/// by token id is dynamic), `rope`, `kvWrite` and `attention` (run-time positions).
///
/// With the policy `["splittest", "reference"]` a llama pass is cut into many segments, which is
/// what the planner and the end-to-end tests need; the conformance suite checks its ops against the
/// reference like any other backend's.
/// Sendable: no mutable state of its own; tests run one pass at a time.
final class SplitTestBackend: Backend, @unchecked Sendable {
    let name = "splittest"
    let unit = ComputeUnit.accelerator

    /// What the backend has been asked to do so far.
    struct Counters: Sendable, Equatable {
        var supportQueries = 0
        var uploads = 0
        var downloads = 0
        var prepared = 0
    }
    private let counts = Mutex(Counters())
    var counters: Counters { counts.withLock { $0 } }

    func support(for node: OpNode, in graph: ForwardGraph) -> OpSupport {
        counts.withLock { $0.supportQueries += 1 }
        let inputs = node.inputs.map { graph[$0] }
        switch node.op {
        case .matmul:
            guard inputs[1].kind.isWeight, inputs[1].shape.count == 2 else { return .unsupported("matmul needs a 2-D weight") }
            return inputs[0].shape.last == inputs[1].shape.last ? .supported : .unsupported("inner dimensions differ")
        case .add, .mul:
            let a = inputs[0], b = inputs[1]
            guard !a.kind.isWeight else { return .unsupported("first operand is a weight") }
            return b.shape == a.shape || b.elementCount == a.shape.last! ? .supported : .unsupported("shapes do not broadcast")
        case .rmsNorm:
            guard inputs[1].kind.isWeight else { return .unsupported("norm weight is not a weight") }
            return inputs[0].shape.last! % inputs[1].elementCount == 0 ? .supported : .unsupported("row not a multiple of the norm width")
        case .swiglu:
            return inputs[0].shape == inputs[1].shape ? .supported : .unsupported("gate and up differ in shape")
        case .silu, .scale:
            return .supported
        case .rows(let start, let count):
            return start >= 0 && count > 0 && start + count <= inputs[0].shape[0] ? .supported : .unsupported("rows out of range")
        case .embed:
            return .unsupported("gather by token id is dynamic")
        case .rope, .kvWrite, .attention:
            return .unsupported("run-time positions")
        case .gelu, .geglu, .softmax, .softcap:
            return .unsupported("no \(node.kind.rawValue) kernel")
        }
    }

    func prepare(_ weight: WeightTensor) throws -> any BackendTensor {
        counts.withLock { $0.prepared += 1 }
        return SplitTestWeight(weight)
    }

    func makeState(_ info: ValueInfo) throws -> any BackendTensor {
        SplitTestTensor(shape: info.shape, repeating: 0)
    }

    func upload(_ tensor: HostTensor) throws -> any BackendTensor {
        counts.withLock { $0.uploads += 1 }
        return SplitTestTensor(shape: tensor.shape, values: tensor.array)
    }

    func download(_ tensor: any BackendTensor) throws -> HostTensor {
        guard let own = tensor as? SplitTestTensor else { throw ExecutionError.foreignTensor(backend: name) }
        counts.withLock { $0.downloads += 1 }
        return HostTensor(shape: own.shape, values: own.values)
    }

    func execute(_ segment: PlanSegment, io: SegmentIO) throws {
        try io.forEachNode { node in
            let out = SplitTestTensor(shape: io.graph[node.outputs[0]].shape, repeating: io.poisonOutputs ? .nan : 0)
            switch node.op {
            case .matmul:
                try matmul(try activation(node.inputs[0], io), try weight(node.inputs[1], io), into: out)
            case .add, .mul:
                let a = try activation(node.inputs[0], io).values
                let b = try operand(node.inputs[1], io)
                let isAdd = node.kind == .add
                for i in out.values.indices { out.values[i] = isAdd ? a[i] + b[i % b.count] : a[i] * b[i % b.count] }
            case .rmsNorm(let eps):
                let x = try activation(node.inputs[0], io).values
                let w = try weight(node.inputs[1], io).allValues()
                for start in stride(from: 0, to: x.count, by: w.count) {
                    var sumOfSquares: Float = 0
                    for i in 0..<w.count { sumOfSquares += x[start + i] * x[start + i] }
                    let inverse = 1 / (sumOfSquares / Float(w.count) + eps).squareRoot()
                    for i in 0..<w.count { out.values[start + i] = x[start + i] * inverse * w[i] }
                }
            case .swiglu:
                let gate = try activation(node.inputs[0], io).values, up = try activation(node.inputs[1], io).values
                for i in out.values.indices { out.values[i] = silu(gate[i]) * up[i] }
            case .silu:
                let x = try activation(node.inputs[0], io).values
                for i in out.values.indices { out.values[i] = silu(x[i]) }
            case .scale(let factor):
                let x = try activation(node.inputs[0], io).values
                for i in out.values.indices { out.values[i] = x[i] * factor }
            case .rows(let start, let count):
                let x = try activation(node.inputs[0], io)
                let columns = x.shape.last!
                out.values.replaceSubrange(0..<count * columns, with: x.values[start * columns ..< (start + count) * columns])
            default:
                throw ExecutionError.backendFailure(backend: name, node: node.name, reason: "\(node.kind.rawValue) is not supported")
            }
            io.store(node.outputs[0], out)
        }
    }

    /// out[i][j] = Σₖ x[i][k] · w[j][k] in Float, one dequantized weight row at a time; output rows
    /// are split across the machine's cores.
    private func matmul(_ x: SplitTestTensor, _ w: SplitTestWeight, into out: SplitTestTensor) throws {
        let k = w.rowLength, m = w.rowCount, n = x.values.count / k
        let chunks = min(ProcessInfo.processInfo.activeProcessorCount, m)
        x.values.withUnsafeBufferPointer { xs in
            out.values.withUnsafeMutableBufferPointer { outs in
                let outBase = outs.baseAddress!
                WorkerPool.concurrently(chunks) { chunk in
                    let row = UnsafeMutablePointer<Float>.allocate(capacity: k)
                    defer { row.deallocate() }
                    for j in m * chunk / chunks ..< m * (chunk + 1) / chunks {
                        w.row(j, into: row)
                        for i in 0..<n {
                            var sum: Float = 0
                            for c in 0..<k { sum += xs[i * k + c] * row[c] }
                            outBase[i * m + j] = sum
                        }
                    }
                }
            }
        }
    }

    private func silu(_ x: Float) -> Float { x / (1 + exp(-x)) }

    private func activation(_ id: ValueID, _ io: SegmentIO) throws -> SplitTestTensor {
        guard let t = try io.tensor(id) as? SplitTestTensor else { throw ExecutionError.foreignTensor(backend: name) }
        return t
    }

    private func weight(_ id: ValueID, _ io: SegmentIO) throws -> SplitTestWeight {
        guard let w = try io.tensor(id) as? SplitTestWeight else { throw ExecutionError.foreignTensor(backend: name) }
        return w
    }

    /// The second operand of add/mul: an activation, or a weight dequantized.
    private func operand(_ id: ValueID, _ io: SegmentIO) throws -> [Float] {
        let t = try io.tensor(id)
        if let w = t as? SplitTestWeight { return w.allValues() }
        guard let a = t as? SplitTestTensor else { throw ExecutionError.foreignTensor(backend: name) }
        return a.values
    }
}

/// An activation or state of the split test backend: its own `[Float]`, which nothing outside the
/// backend reads except through `download`.
/// Sendable: written by the op that produces it, read after; tests run one pass at a time.
final class SplitTestTensor: BackendTensor, @unchecked Sendable {
    let shape: [Int]
    var values: [Float]

    init(shape: [Int], repeating value: Float) {
        self.shape = shape
        values = [Float](repeating: value, count: shape.reduce(1, *))
    }

    init(shape: [Int], values: [Float]) {
        precondition(values.count == shape.reduce(1, *))
        self.shape = shape
        self.values = values
    }
}

/// A weight as the split test backend keeps it: a copy of the file's bytes in its own storage,
/// dequantized a row at a time when used.
/// Sendable: copied once in init, read-only afterwards.
final class SplitTestWeight: BackendTensor, @unchecked Sendable {
    let shape: [Int]
    let format: WeightFormat
    let rowLength: Int
    let rowCount: Int
    let rowBytes: Int
    let bytes: [UInt8]

    init(_ weight: WeightTensor) {
        shape = weight.shape
        format = weight.format
        rowLength = weight.rowLength
        rowCount = weight.rowCount
        rowBytes = weight.rowBytes
        bytes = Array(UnsafeRawBufferPointer(rebasing: weight.bytes[0 ..< weight.rowCount * weight.rowBytes]))
    }

    /// Dequantizes row `r` into `destination` (`rowLength` floats).
    func row(_ r: Int, into destination: UnsafeMutablePointer<Float>) {
        bytes.withUnsafeBytes { raw in
            Dequantize.row(format, from: raw.baseAddress! + r * rowBytes, count: rowLength, into: destination)
        }
    }

    /// Every element, row after row.
    func allValues() -> [Float] {
        [Float](unsafeUninitializedCapacity: rowCount * rowLength) { buffer, initialized in
            for r in 0..<rowCount { row(r, into: buffer.baseAddress! + r * rowLength) }
            initialized = rowCount * rowLength
        }
    }
}
