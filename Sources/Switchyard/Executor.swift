/// Runs plans: prepares the weights each segment needs (once, through the `WeightCache`), moves
/// tensors between storage domains as the plan's transfers say, calls each backend on its segment,
/// and hands back the graph's outputs in host memory.
public struct Executor: Sendable {
    public let weights: WeightCache
    /// Start every host output as NaN (for tests that catch unwritten elements). Poisoned outputs
    /// each get their own memory instead of a place in the session's activation memory.
    public var poisonOutputs: Bool

    public init(weights: WeightCache, poisonOutputs: Bool = false) {
        self.weights = weights
        self.poisonOutputs = poisonOutputs
    }

    /// Runs one pass of `plan`.
    /// - Parameters:
    ///   - plan: the pass's graph, routed to backends.
    ///   - pass: the tokens and the position of the first.
    ///   - state: the sequence's KV cache; allocated by the state's home backend on first use.
    ///   - profile: receives per-op timings when given.
    /// - Returns: the graph's outputs, in host memory.
    public func run(_ plan: Plan, pass: PassContext, state: SessionState, profile: OpProfile? = nil) throws -> [ValueID: HostTensor] {
        let graph = plan.graph
        precondition(pass.tokens.count == graph.tokenCount, "pass has \(pass.tokens.count) tokens, graph \(graph.tokenCount)")
        let domains = plan.backends.mapValues(storageDomain(of:))
        let values = ValueStore(domains: domains, valueCount: graph.values.count)

        // Bring each state value to its home domain (allocating it on first use).
        for (id, home) in plan.stateHomes {
            let info = graph[id]
            let backend = plan.backends[home]!
            let homeDomain = domains[home]!
            if let held = state.tensors[info.name] {
                guard held.tensor.shape == info.shape else {
                    throw ExecutionError.backendFailure(backend: home, node: info.name, reason: "state shape \(held.tensor.shape) differs from the plan's \(info.shape)")
                }
                if held.domain == homeDomain {
                    values.store(id, held.tensor, domain: homeDomain)
                } else {
                    values.store(id, try backend.upload(try held.backend.download(held.tensor)), domain: homeDomain)
                    state.transferCount += 1
                    state.transferBytes += info.elementCount * MemoryLayout<Float>.size
                }
            } else {
                values.store(id, try backend.makeState(info), domain: homeDomain)
            }
        }

        let keep = Set(graph.outputs)
        if !poisonOutputs { try state.arena.fit(plan.hostMemory.size) }
        let arena = poisonOutputs ? nil : (block: state.arena, plan: plan.hostMemory)
        for segment in plan.segments {
            let backend = plan.backends[segment.backend]!
            for transfer in segment.transfersIn {
                guard let source = values.anyCopy(transfer.value) else { throw ExecutionError.missingValue(transfer.name) }
                let from = plan.backends.values.first { domains[$0.name] == source.domain }!
                let host = try from.download(source.tensor)
                values.addCopy(transfer.value, try backend.upload(host), domain: domains[segment.backend]!)
                state.transferCount += 1
                state.transferBytes += transfer.bytes
            }
            let segmentWeights = try segment.prepared.get(from: weights) { try weights.weights(segment.weights, of: graph, for: backend) }
            let io = SegmentIO(pass: pass, graph: graph, segment: segment, values: values, weights: segmentWeights,
                               lastUse: plan.lastUse, keep: keep, profile: profile, poisonOutputs: poisonOutputs,
                               arena: arena)
            try backend.execute(segment, io: io)
            state.segmentCount += 1
        }

        // Keep the state where it now lives; download the outputs.
        for id in plan.stateHomes.keys {
            guard let (domain, tensor) = values.anyCopy(id) else { continue }
            let owner = plan.backends.values.first { domains[$0.name] == domain }!
            state.tensors[graph[id].name] = (domain, owner, tensor)
        }
        var outputs: [ValueID: HostTensor] = [:]
        for id in graph.outputs {
            guard let (domain, tensor) = values.anyCopy(id) else { throw ExecutionError.missingValue(graph[id].name) }
            let owner = plan.backends.values.first { domains[$0.name] == domain }!
            outputs[id] = try owner.download(tensor)
        }
        return outputs
    }
}
