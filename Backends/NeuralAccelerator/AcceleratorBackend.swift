import Switchyard
import SwitchyardCPUKernels
import Synchronization

/// The emulated neural accelerator (`accelerator`, unit `.accelerator`): a fixed-function fp16
/// unit with a restricted op set, modeled on Apple's Neural Engine and phone NPUs. It follows
/// docs/neural-accelerator.md bit for bit on the CPU — fp16 storage, every op's output rounded to
/// fp16, weights expanded to fp16 at compile, lookup-table activations — refuses what the spec
/// refuses (each refusal names its rule), compiles each segment into programs for exact shapes,
/// and keeps a modeled account of the unit's time and energy (`UnitCostModel`) beside the host
/// time the emulation takes.
/// Sendable: segments run one at a time under `passes` (its worker pool takes one job at a time);
/// the modeled account and the program cache are behind `ledger`.
public final class AcceleratorBackend: Backend, @unchecked Sendable {
    public let name = "accelerator"
    public let unit = ComputeUnit.accelerator
    public let runsOnRealHardware = false
    let threads: Int
    /// Splits the emulator's loops across the cores with microsecond latency.
    let pool: WorkerPool
    /// Whether ops whose calibrated activations pass the fp16 guard stay off the unit.
    let rangeGuard: Bool
    let cost: UnitCostModel
    let compiler: ProgramCompiler
    private let ledger = Mutex(Ledger())
    private let passes = Mutex<Void>(())

    /// Every op the unit runs, one kernel per op kind (one line per kernel).
    static let kernels: [OpKind: any UnitKernel] = [
        .matmul: MatmulKernel(),
        .rmsNorm: RMSNormKernel(),
        .rope: RopeKernel(),
        .attention: AttentionKernel(),
        .kvWrite: KVWriteKernel(),
        .add: ElementwiseKernel(kind: .add),
        .mul: ElementwiseKernel(kind: .mul),
        .scale: ScaleKernel(),
        .silu: ActivationKernel(table: .silu),
        .gelu: ActivationKernel(table: .gelu),
        .swiglu: GatedKernel(table: .silu),
        .geglu: GatedKernel(table: .gelu),
        .softmax: SoftmaxKernel(),
        .rows: RowsKernel(),
    ]

    /// What the unit did, in modeled time and energy, and what its programs were.
    struct Ledger {
        var compiled: [ProgramKey: [CompiledProgram]] = [:]
        var programRuns = 0
        var modeledSeconds = 0.0
        var compileSeconds = 0.0
        var handoffs = 0
        var handoffBytes = 0
    }

    struct ProgramKey: Hashable { let first: Int; let count: Int; let tokens: Int }

    public init(threads: Int = BackendOptions.defaultThreads, rangeGuard: Bool = true, cost: UnitCostModel = .phone) {
        self.threads = max(1, threads)
        pool = WorkerPool(threads: self.threads)
        self.rangeGuard = rangeGuard
        self.cost = cost
        compiler = ProgramCompiler(cost: cost)
    }

    /// The registration the command-line tool lists.
    public static let registration = BackendRegistration(
        name: "accelerator", unit: .accelerator,
        summary: "emulated fp16 neural accelerator: restricted ops, static shapes, modeled time and energy (docs/neural-accelerator.md)"
    ) { AcceleratorBackend(threads: $0.threads, rangeGuard: $0.rangeGuard) }

    public var wantsActivationMagnitudes: Bool { rangeGuard }

    public func support(for node: OpNode, in graph: ForwardGraph) -> OpSupport {
        if let problem = graph.shapeProblem(node) { return .unsupported(problem) }
        if let rule = UnitSpec.refusal(node, in: graph, rangeGuard: rangeGuard) { return .unsupported(rule) }
        guard Self.kernels[node.kind] != nil else { return .unsupported("no unit op for \(node.kind.rawValue)") }
        return .supported
    }

    public func prepare(_ weight: WeightTensor) throws -> any BackendTensor { AcceleratorWeight(weight, threads: threads) }

    public func makeState(_ info: ValueInfo) throws -> any BackendTensor { HalfTensor(shape: info.shape) }

    /// A hand-off into the unit: the copy rounds every element to fp16.
    public func upload(_ tensor: HostTensor) throws -> any BackendTensor {
        let half = HalfTensor(shape: tensor.shape)
        half.base.update(from: tensor.storage.baseAddress!, count: tensor.count)
        sy_half_round(half.base, Int64(half.count))
        recordHandoff(half)
        return half
    }

    /// A hand-off out of the unit: fp16 values widen to f32 exactly.
    public func download(_ tensor: any BackendTensor) throws -> HostTensor {
        guard let half = tensor as? HalfTensor else { throw ExecutionError.foreignTensor(backend: name) }
        let host = HostTensor(shape: half.shape)
        host.storage.baseAddress!.update(from: half.base, count: half.count)
        recordHandoff(half)
        return host
    }

    public func execute(_ segment: PlanSegment, io: SegmentIO) throws {
        let programs = compiledPrograms(for: segment, in: io.graph)
        ledger.withLock { ledger in
            ledger.programRuns += programs.reduce(0) { $0 + $1.invocations }
            ledger.modeledSeconds += programs.reduce(0) { $0 + $1.modeledSeconds }
        }
        // The worker pool takes one job at a time: sessions sharing this backend take turns.
        try passes.withLock { _ in try io.forEachNode { node in try Self.kernels[node.kind]!.run(node, io, self) } }
    }

    public func programs(for segment: PlanSegment, in graph: ForwardGraph) -> [CompiledProgram] {
        compiler.programs(for: segment, in: graph)
    }

    /// The programs of `segment`, compiled (and their modeled compile time counted) on first use.
    private func compiledPrograms(for segment: PlanSegment, in graph: ForwardGraph) -> [CompiledProgram] {
        let key = ProgramKey(first: segment.nodes[0].index, count: segment.nodes.count, tokens: graph.tokenCount == 1 ? 1 : UnitSpec.prefillChunk)
        if let known = ledger.withLock({ $0.compiled[key] }) { return known }
        let programs = compiler.programs(for: segment, in: graph)
        ledger.withLock { ledger in
            if ledger.compiled[key] == nil {
                ledger.compiled[key] = programs
                ledger.compileSeconds += Double(programs.count) * cost.compileSecondsPerProgram
            }
        }
        return programs
    }

    /// A hand-off of `tensor`: its fp16 bytes with the last axis padded to 64 bytes.
    private func recordHandoff(_ tensor: HalfTensor) {
        let bytes = tensor.rows * UnitSpec.padded(tensor.columns) * 2
        ledger.withLock { ledger in
            ledger.handoffs += 1
            ledger.handoffBytes += bytes
            ledger.modeledSeconds += cost.handoffSeconds(bytes: bytes)
        }
    }

    /// Running totals: programs compiled and run, hand-offs and their bytes, and the modeled unit
    /// time (µs) and energy (µJ: active power over the modeled busy time), compile time apart.
    public var activity: [String: Int] {
        let l = ledger.withLock { $0 }
        return [
            "programs compiled": l.compiled.values.reduce(0) { $0 + $1.count },
            "program runs": l.programRuns,
            "hand-offs": l.handoffs,
            "hand-off bytes": l.handoffBytes,
            "modeled µs": Int((l.modeledSeconds * 1e6).rounded()),
            "modeled µJ": Int((l.modeledSeconds * cost.activeWatts * 1e6).rounded()),
            "modeled compile ms": Int((l.compileSeconds * 1e3).rounded()),
        ]
    }

    /// Runs `body(range)` over `count` items split into contiguous chunks, one per thread.
    func parallelFor(_ count: Int, minimumPerThread: Int = 1, _ body: (Range<Int>) -> Void) {
        pool.parallelFor(count, minimumPerThread: minimumPerThread, body)
    }
}

/// One op kind of the unit.
protocol UnitKernel: Sendable {
    func run(_ node: OpNode, _ io: SegmentIO, _ unit: AcceleratorBackend) throws
}

extension SegmentIO {
    /// An activation or state value in the unit's memory.
    func half(_ id: ValueID) throws -> HalfTensor {
        guard let t = try tensor(id) as? HalfTensor else { throw ExecutionError.foreignTensor(backend: "accelerator") }
        return t
    }

    /// A compiled weight.
    func unitWeight(_ id: ValueID) throws -> AcceleratorWeight {
        guard let w = try tensor(id) as? AcceleratorWeight else { throw ExecutionError.foreignTensor(backend: "accelerator") }
        return w
    }

    /// A new tensor in the unit's memory for the node's output (NaN-filled when outputs are poisoned).
    func makeHalfOutput(_ node: OpNode) -> HalfTensor {
        let shape = graph[node.outputs[0]].shape
        let out = poisonOutputs ? HalfTensor(poisoned: shape) : HalfTensor(shape: shape)
        store(node.outputs[0], out)
        return out
    }

    /// A broadcast or same-shape operand: an activation's values or a weight vector's.
    func operand(_ id: ValueID) throws -> (UnsafeMutablePointer<Float>, Int) {
        if let w = try tensor(id) as? AcceleratorWeight {
            guard let v = w.vector else { throw ExecutionError.backendFailure(backend: "accelerator", node: graph[id].name, reason: "a matrix weight is not an elementwise operand") }
            return (v.storage.baseAddress!, v.count)
        }
        let t = try half(id)
        return (t.base, t.count)
    }
}
