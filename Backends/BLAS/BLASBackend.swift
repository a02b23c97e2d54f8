import COpenBLAS
import Switchyard
import Synchronization

/// The fast CPU backend: for the large products of prefill, the AVX-512 tier's own f32 GEMM or
/// OpenBLAS `sgemm` (prefill attention always uses `sgemm`), and hand-written SIMD kernels
/// (`Kernels/cpu`, chosen at run time: AVX-512, AVX2 or scalar) for decode's quantized
/// matrix-vector products, which read the file's blocks in place with f32 activations (no
/// activation quantization; `blas-int16` is the opt-in numerics mode that rounds them to int16).
/// Both cores work through a low-latency worker pool.
/// Sendable: segments run one at a time under `passes` (its worker pool takes one job at a time);
/// its caches (RoPE tables, scratch buffers) are behind locks; weights are read-only.
public final class BLASBackend: Backend, @unchecked Sendable {
    /// How decode's matrix-vector products take their activations.
    public enum Activations: String, Sendable {
        /// f32 as they are: the products agree with the reference to f32 rounding (the default).
        case f32
        /// Quantized to int16 per 32-element block for the quantized weight formats (Q4_0, Q4_1,
        /// Q5_0, Q8_0, Q4_K, Q6_K) on the AVX2 and AVX-512 tiers; plain float weights, the scalar
        /// tier and prefill stay f32. Each
        /// activation is off by at most 1/65,534 of its block's largest magnitude
        /// (`sy_matvec_i16`); the agreement this costs end to end is in docs/benchmarks.md.
        case int16
    }

    public var name: String { activations == .f32 ? "blas" : "blas-int16" }
    public let unit = ComputeUnit.cpu
    /// The numerics mode of decode's matrix-vector products.
    public let activations: Activations
    let pool: WorkerPool
    let ropeTables = RopeTableCache()
    /// Per-call working memory of the kernels, reused across ops and passes.
    let scratch = ScratchBuffers()
    private let passes = Mutex<Void>(())

    /// Every op this backend runs, one kernel per op kind (one line per kernel).
    static let kernels: [OpKind: any BLASKernel] = [
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

    /// - Parameters:
    ///   - threads: threads for the SIMD kernels and the sgemm calls.
    ///   - activations: the numerics mode of decode's matrix-vector products; `.int16` names the
    ///     backend `blas-int16`.
    public init(threads: Int = BackendOptions.defaultThreads, activations: Activations = .f32) {
        self.activations = activations
        pool = WorkerPool(threads: threads)
        // OpenBLAS's own threads busy-wait after each call and would fight the worker pool (and
        // any other process) for the cores; each pool thread calls a single-threaded sgemm on its
        // share of the work instead.
        openblas_set_num_threads(1)
    }

    /// The registration the command-line tool lists.
    public static let registration = BackendRegistration(
        name: "blas", unit: .cpu, summary: "SIMD kernels (f32 activations) + AVX-512 GEMM or OpenBLAS sgemm for prefill, all cores"
    ) { BLASBackend(threads: $0.threads) }

    /// The same backend with int16 activations in decode's matrix-vector products (a numerics mode:
    /// compare it with `switchyard check --policy blas --policy blas-int16 --batch 1`).
    public static let int16Registration = BackendRegistration(
        name: "blas-int16", unit: .cpu, summary: "the BLAS backend with int16 activations in decode's quantized products (numerics mode)"
    ) { BLASBackend(threads: $0.threads, activations: .int16) }

    /// The instruction set the SIMD kernels use here ("avx512", "avx2" or "scalar").
    public static var cpuTier: String { String(cString: sy_cpu_tier()) }

    public func support(for node: OpNode, in graph: ForwardGraph) -> OpSupport {
        guard let kernel = Self.kernels[node.kind] else { return .unsupported("no BLAS kernel for \(node.kind.rawValue)") }
        if let problem = graph.shapeProblem(node) { return .unsupported(problem) }
        return kernel.support(node, in: graph)
    }

    public func prepare(_ weight: WeightTensor) throws -> any BackendTensor { BLASWeight(weight) }

    public func execute(_ segment: PlanSegment, io: SegmentIO) throws {
        // The worker pool takes one job at a time: sessions sharing this backend take turns.
        try passes.withLock { _ in try io.forEachNode { node in try Self.kernels[node.kind]!.run(node, io, self) } }
    }
}

import SwitchyardCPUKernels

/// One op kind of the BLAS backend.
protocol BLASKernel: Sendable {
    func support(_ node: OpNode, in graph: ForwardGraph) -> OpSupport
    func run(_ node: OpNode, _ io: SegmentIO, _ backend: BLASBackend) throws
}

extension BLASKernel {
    func support(_ node: OpNode, in graph: ForwardGraph) -> OpSupport { .supported }
}

extension SegmentIO {
    func blasWeight(_ id: ValueID) throws -> BLASWeight {
        guard let w = try tensor(id) as? BLASWeight else { throw ExecutionError.foreignTensor(backend: "blas") }
        return w
    }

    /// An activation input, or a small weight's f32 values, as a pointer and count.
    func floats(_ id: ValueID) throws -> (UnsafePointer<Float>, Int) {
        if let host = try tensor(id) as? HostTensor { return (UnsafePointer(host.storage.baseAddress!), host.count) }
        let w = try blasWeight(id)
        guard let floats = w.floats else { throw ExecutionError.backendFailure(backend: "blas", node: graph[id].name, reason: "weight too large for an elementwise operand") }
        return (UnsafePointer(floats.baseAddress!), floats.count)
    }
}

/// cos/sin tables for RoPE, computed once per pass shape and shared by every rope op of the pass
/// (a 30-layer model has 60 rope ops with the same positions). Only the latest two tables are kept
/// (a pass uses one or two bases): a prefill batch's table is 0.5 MB, and every pass has new positions.
final class RopeTableCache: Sendable {
    struct Key: Hashable { let start: Int; let rows: Int; let dims: Int; let base: Float; let scale: Float }
    private let tables = Mutex<[Key: [Float]]>([:])

    /// For row r and pair i: cos at [(r·half + i)·2], sin at [(r·half + i)·2 + 1].
    func table(_ key: Key) -> [Float] {
        if let t = tables.withLock({ $0[key] }) { return t }
        let t = RopeTable.values(start: key.start, rows: key.rows, dims: key.dims, base: key.base, scale: key.scale)
        tables.withLock { if $0.count >= 2 { $0.removeAll() }; $0[key] = t }
        return t
    }
}

#if canImport(Glibc)
import Glibc
#endif
