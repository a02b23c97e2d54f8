import Switchyard

/// The scalar CPU backend: every op as a plain loop over host memory, accumulating in `Double`,
/// written to be read. It is the numerical ground truth the other backends are checked against;
/// its only concession to speed is splitting rows across threads.
/// Sendable: no mutable state; its kernels write only the outputs of the node they run.
public final class ReferenceBackend: Backend, @unchecked Sendable {
    public let name = "reference"
    public let unit = ComputeUnit.cpu
    let threads: Int

    /// Every op this backend runs, one kernel per op kind (one line per kernel).
    static let kernels: [OpKind: any ReferenceKernel] = [
        .embed: EmbedKernel(),
        .rmsNorm: RMSNormKernel(),
        .matmul: MatmulKernel(),
        .rope: RopeKernel(),
        .attention: AttentionKernel(),
        .kvWrite: KVWriteKernel(),
        .add: ElementwiseKernel(kind: .add),
        .mul: ElementwiseKernel(kind: .mul),
        .scale: UnaryKernel(kind: .scale),
        .silu: UnaryKernel(kind: .silu),
        .gelu: UnaryKernel(kind: .gelu),
        .softcap: UnaryKernel(kind: .softcap),
        .swiglu: GatedKernel(kind: .swiglu),
        .geglu: GatedKernel(kind: .geglu),
        .softmax: SoftmaxKernel(),
        .rows: RowsKernel(),
    ]

    public init(threads: Int = BackendOptions.defaultThreads) { self.threads = max(1, threads) }

    /// The registration the command-line tool lists.
    public static let registration = BackendRegistration(
        name: "reference", unit: .cpu, summary: "scalar CPU loops in Double: the numerical ground truth"
    ) { ReferenceBackend(threads: $0.threads) }

    public func support(for node: OpNode, in graph: ForwardGraph) -> OpSupport {
        guard let kernel = Self.kernels[node.kind] else { return .unsupported("no reference kernel for \(node.kind.rawValue)") }
        if let problem = graph.shapeProblem(node) { return .unsupported(problem) }
        return kernel.support(node, in: graph)
    }

    public func prepare(_ weight: WeightTensor) throws -> any BackendTensor { ReferenceWeight(weight) }

    public func execute(_ segment: PlanSegment, io: SegmentIO) throws {
        try io.forEachNode { node in
            try Self.kernels[node.kind]!.run(node, io, self)
        }
    }

    /// Runs `body(range)` over `count` items split into contiguous chunks, one per thread.
    func parallelFor(_ count: Int, _ body: (Range<Int>) -> Void) {
        let chunks = min(threads, count)
        guard chunks > 1 else { body(0..<count); return }
        WorkerPool.concurrently(chunks) { c in body(count * c / chunks ..< count * (c + 1) / chunks) }
    }
}

import Dispatch

/// A weight as the reference backend keeps it: the file's bytes, untouched, dequantized a row at a
/// time when used. Nothing is copied at load.
/// Sendable: a read-only view of the file's bytes.
final class ReferenceWeight: BackendTensor, @unchecked Sendable {
    let weight: WeightTensor
    var shape: [Int] { weight.shape }
    init(_ weight: WeightTensor) { self.weight = weight }

    /// Dequantizes row `r` into `destination` (`rowLength` floats).
    func row(_ r: Int, into destination: UnsafeMutablePointer<Float>) {
        Dequantize.row(weight.format, from: weight.bytes.baseAddress! + r * weight.rowBytes,
                       count: weight.rowLength, into: destination)
    }
}

/// One op kind of the reference backend.
protocol ReferenceKernel: Sendable {
    /// Whether the kernel runs this node (all reference kernels run every format and shape they
    /// are given, unless they say otherwise).
    func support(_ node: OpNode, in graph: ForwardGraph) -> OpSupport
    func run(_ node: OpNode, _ io: SegmentIO, _ backend: ReferenceBackend) throws
}

extension ReferenceKernel {
    func support(_ node: OpNode, in graph: ForwardGraph) -> OpSupport { .supported }
}

extension SegmentIO {
    /// The prepared weight for input `id` (reference layout).
    func referenceWeight(_ id: ValueID) throws -> ReferenceWeight {
        guard let w = try tensor(id) as? ReferenceWeight else { throw ExecutionError.foreignTensor(backend: "reference") }
        return w
    }

    /// A new host tensor for the node's (single) output.
    func makeOutput(_ node: OpNode) -> HostTensor { makeHostOutput(node.outputs[0]) }
}
