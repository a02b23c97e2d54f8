import Switchyard
import Synchronization

/// A model bound to a set of backends and a routing policy: it plans each pass shape once (the
/// plan cache), keeps every backend's prepared weights, and opens sessions that generate text.
///
/// One engine serves many sessions at once, from any task or thread: its plan cache and weight cache
/// are behind locks, and its passes take turns on the backends (`PassGate`: a backend holds per-pass
/// state, so two passes never run on it together), first come first served. Each session has its own
/// KV cache, so sequences generating together never see each other's tokens.
public final class Engine: Sendable {
    public let model: Model
    public let policy: RoutingPolicy
    public let backends: [any Backend]
    /// KV cache capacity of the sessions this engine opens, in positions.
    public let contextLength: Int
    /// Largest number of tokens one prefill pass takes; longer prompts are cut into passes of this size.
    public let batchSize: Int
    let planner: Planner
    let executor: Executor
    /// One pass at a time on the backends, in the order they asked.
    let passGate = PassGate()
    private let plans = Mutex<[PlanKey: Plan]>([:])
    /// Calibrated activation magnitudes, measured at the first plan when a backend wants them.
    private let magnitudes = Mutex<[String: Float]?>(nil)

    struct PlanKey: Hashable { let tokens: Int; let logits: LogitRows; let keepActivations: Bool }

    /// A model ready to run on `backends` under `policy`; weights are prepared when a plan first needs them.
    /// - Parameters:
    ///   - model: the loaded GGUF model.
    ///   - backends: the backends the policy may use.
    ///   - policy: which backend runs which op.
    ///   - contextLength: KV cache positions; defaults to the model's trained context, at most 4096.
    ///   - batchSize: the most prompt tokens one prefill pass takes.
    /// - Throws: `PolicyError` when the policy names a backend not in `backends`.
    public init(model: Model, backends: [any Backend], policy: RoutingPolicy, contextLength: Int? = nil, batchSize: Int = 512) throws {
        self.model = model
        self.backends = backends
        self.policy = policy
        self.contextLength = max(1, contextLength ?? min(model.architecture.trainedContextLength, 4096))
        self.batchSize = max(1, batchSize)
        planner = try Planner(policy: policy, backends: backends)
        let file = model.file
        executor = Executor(weights: WeightCache { file.weight($0) })
    }

    /// The plan for a pass of `tokens` tokens, made once per shape.
    /// - Parameters:
    ///   - tokens: tokens in the pass.
    ///   - logits: which rows get logits.
    ///   - keepActivations: hand back every activation, not just the logits (for `check`).
    /// - Throws: `ExecutionError.unsupportedOp` when no backend of the policy runs some op.
    public func plan(tokens: Int, logits: LogitRows, keepActivations: Bool = false) throws -> Plan {
        let key = PlanKey(tokens: tokens, logits: logits, keepActivations: keepActivations)
        if let cached = plans.withLock({ $0[key] }) { return cached }
        var graph = model.architecture.graph(tokens: tokens, contextLength: contextLength, maxBatch: batchSize, logits: logits)
        if keepActivations { graph.markAllActivations() }
        if backends.contains(where: \.wantsActivationMagnitudes) { graph.largestMagnitudes = try calibratedMagnitudes() }
        let plan = try planner.plan(graph)
        plans.withLock { $0[key] = plan }
        return plan
    }

    /// The plans this engine has made so far — one per pass shape it ran — largest pass first: what
    /// a run executed, for recording as a trace.
    public var plansMade: [Plan] {
        plans.withLock { Array($0.values) }.sorted { $0.graph.tokenCount > $1.graph.tokenCount }
    }

    /// Every activation's largest magnitude on the calibration text, measured once on this engine's
    /// CPU backends (`Calibration`).
    /// - Throws: `ModelError.noCalibrationBackend` when the engine has no CPU backend to measure on.
    public func calibratedMagnitudes() throws -> [String: Float] {
        if let known = magnitudes.withLock({ $0 }) { return known }
        let cpu = policy.backendNames.compactMap { name in backends.first { $0.name == name && $0.unit == .cpu } }
        guard !cpu.isEmpty else { throw ModelError.noCalibrationBackend(policy: policy.description) }
        // Through the gate: the calibration pass runs on this engine's own CPU backend instances.
        let measured = try passGate.run { try Calibration.measure(model, on: cpu) }
        magnitudes.withLock { $0 = measured }
        return measured
    }

    /// Runs one pass of `plan` for a session, after the passes of other sessions that asked first.
    func runPass(_ plan: Plan, pass: PassContext, state: SessionState, profile: OpProfile?) throws -> [ValueID: HostTensor] {
        try passGate.run { try executor.run(plan, pass: pass, state: state, profile: profile) }
    }

    /// Prepares every weight the policy's backends need, and the decode plan, by running one
    /// throwaway pass of one token; later sessions start without that cost. A server calls it
    /// before taking requests.
    public func warmUp() throws {
        let session = makeSession()
        let token = model.tokenizer.encode(" ", addSpecial: true, parseSpecial: false).first ?? 0
        _ = try session.forward([token], logits: .last)
    }

    /// A new, empty sequence.
    public func makeSession() -> Session { Session(engine: self) }

    /// Streams the continuation of `prompt` as text pieces, in a new session. Stops at the end of
    /// generation token, a stop string, or `maxTokens`; cancelling the consuming task stops it.
    public func generate(_ prompt: String, options: GenerationOptions = GenerationOptions()) -> AsyncThrowingStream<String, Error> {
        makeSession().generate(prompt, options: options).textOnly()
    }
}
