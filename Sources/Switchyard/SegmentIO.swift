/// What a backend reads from and writes to while it runs a segment: the pass's token ids and
/// positions, its inputs (activations, state, and the weights it prepared), and a place to put what
/// it produces. Values are dropped after their last use.
public final class SegmentIO {
    public let pass: PassContext
    public let graph: ForwardGraph
    public let segment: PlanSegment
    /// Per-op timings are recorded here when profiling.
    public let profile: OpProfile?
    let values: ValueStore
    let weights: [ValueID: any BackendTensor]
    let lastUse: [ValueID: Int]
    let keep: Set<ValueID>
    /// Whether new host outputs start as NaN, so that an element a kernel forgets to write shows.
    public let poisonOutputs: Bool
    /// The session's activation memory and where the plan put each value in it; nil when every
    /// output gets its own allocation (poisoned outputs must not land on a live input).
    let arena: (block: HostArena, plan: HostMemoryPlan)?

    init(pass: PassContext, graph: ForwardGraph, segment: PlanSegment, values: ValueStore,
         weights: [ValueID: any BackendTensor], lastUse: [ValueID: Int], keep: Set<ValueID>, profile: OpProfile?,
         poisonOutputs: Bool, arena: (block: HostArena, plan: HostMemoryPlan)?) {
        self.pass = pass; self.graph = graph; self.segment = segment; self.values = values
        self.weights = weights; self.lastUse = lastUse; self.keep = keep; self.profile = profile
        self.poisonOutputs = poisonOutputs; self.arena = arena
        domain = values.domains[segment.backend]!
    }

    /// The tensor for value `id` in this segment's storage: a prepared weight, a state value or an activation.
    public func tensor(_ id: ValueID) throws -> any BackendTensor {
        if let w = weights[id] { return w }
        guard let t = values.tensor(id, domain: domain) else { throw ExecutionError.missingValue(graph[id].name) }
        return t
    }

    /// The tensor for `id` as host memory (for `.cpu` backends).
    public func host(_ id: ValueID) throws -> HostTensor {
        guard let t = try tensor(id) as? HostTensor else { throw ExecutionError.foreignTensor(backend: segment.backend) }
        return t
    }

    /// Records the tensor an op produced for `id`.
    public func store(_ id: ValueID, _ tensor: any BackendTensor) {
        values.store(id, tensor, domain: domain)
    }

    /// A host tensor for value `id`, shaped as the graph says and stored under `id`. Its contents
    /// are undefined — the kernel must write every element: usually it is the value's place in the
    /// session's activation memory (for `OpKind.mayOverwriteFirstInput` kinds possibly the bytes of
    /// input 0); NaN when the executor poisons outputs (the conformance suite does); zeros for
    /// values the caller keeps.
    public func makeHostOutput(_ id: ValueID) -> HostTensor {
        let out: HostTensor
        if let arena, let offset = arena.plan.offsets[id] {
            out = arena.block.tensor(shape: graph[id].shape, offset: offset)
        } else {
            out = HostTensor(shape: graph[id].shape)
            if poisonOutputs { out.storage.update(repeating: .nan) }
        }
        store(id, out)
        return out
    }

    /// Runs `body` on each node of the segment in order, timing it when profiling, and drops every
    /// activation whose last reader has run. The natural loop for a backend that runs op by op.
    public func forEachNode(_ body: (OpNode) throws -> Void) throws {
        for node in segment.nodes {
            let start = profile != nil ? ContinuousClock.now : nil
            do {
                try body(node)
            } catch let error as ExecutionError {
                throw error
            } catch {
                throw ExecutionError.backendFailure(backend: segment.backend, node: node.name, reason: "\(error)")
            }
            if let start, let profile { profile.record(node.kind, backend: segment.backend, since: start) }
            release(after: node)
        }
    }

    /// Drops activations whose last reader is `node` (unless the caller keeps them).
    public func release(after node: OpNode) {
        for v in node.inputs where lastUse[v] == node.index && !keep.contains(v) && graph[v].kind == .activation {
            values.drop(v)
        }
    }

    /// The storage domain of the segment's backend.
    let domain: String
}
