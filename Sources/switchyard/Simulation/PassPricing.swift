import Switchyard

/// What one pass costs on a device: seconds per compute unit, hand-offs, dispatches. A roofline
/// per op — the larger of its arithmetic at the unit's peak and its bytes at the unit's bandwidth —
/// plus the unit's fixed cost per dispatch: on a CPU per op (each is a fork and join of the worker
/// threads), on a GPU per dependent step (ops that read nothing written since the last barrier
/// share one, as a command buffer records them); an accelerator segment is priced as the programs its
/// backend compiles it into (`Backend.programs(for:in:)`, on the device's accelerator figures);
/// each tensor crossing between units costs the hand-off latency plus its bytes over the copy
/// bandwidth. Nothing overlaps. docs/device-profiles.md gives the formulas with their sources.
struct PassPricing {
    var seconds: [ComputeUnit: Double] = [:]
    var handoffSeconds = 0.0
    var handoffs = 0
    var handoffBytes = 0.0
    var dispatches = 0
    /// Barriers a GPU waits at: the dependent steps its dispatches fall into.
    var steps = 0
    var programs = 0
    var total: Double { seconds.values.reduce(0, +) + handoffSeconds }

    struct MissingUnit: Error, CustomStringConvertible {
        let unit: ComputeUnit, profile: String, op: String
        var description: String { "device profile '\(profile)' has no \(unit.rawValue) unit, which the plan puts '\(op)' on; pick a policy that runs on its units" }
    }

    /// Prices `plan` for a pass starting at `startPosition` on `profile`.
    static func price(_ plan: Plan, startPosition: Int, on profile: DeviceProfile) throws -> PassPricing {
        var cost = PassPricing()
        let graph = plan.graph
        for segment in plan.segments {
            guard let unit = profile.units[segment.unit] else { throw MissingUnit(unit: segment.unit, profile: profile.name, op: segment.nodes[0].name) }
            for transfer in segment.transfersIn {
                let from = plan.backends[transfer.from]!.unit
                let bytesPerElement = min(unit.activationBytes, profile.units[from]?.activationBytes ?? 4)
                let bytes = Double(graph[transfer.value].elementCount) * bytesPerElement
                cost.handoffs += 1
                cost.handoffBytes += bytes
                cost.handoffSeconds += profile.handoffLatency + bytes / profile.handoffBandwidth
            }
            let programs = plan.backends[segment.backend]!.programs(for: segment, in: graph)
            if !programs.isEmpty {
                cost.programs += programs.reduce(0) { $0 + $1.invocations }
                cost.seconds[segment.unit, default: 0] += programs.reduce(0) { $0 + $1.modeledSeconds }
                continue
            }
            let fixedCosts = segment.unit == .gpu ? dependentSteps(segment.nodes) : segment.nodes.count
            cost.steps += segment.unit == .gpu ? fixedCosts : 0
            cost.dispatches += segment.nodes.count
            cost.seconds[segment.unit, default: 0] += Double(fixedCosts) * unit.dispatchLatency
            for node in segment.nodes {
                let (flops, bytes) = work(node, graph, start: startPosition, activationBytes: unit.activationBytes)
                // A weight streams at the rate the unit's kernels reach for its format, where measured.
                let format = node.inputs.lazy.compactMap { v -> WeightFormat? in
                    if case .weight(let f) = graph[v].kind { return f } else { return nil }
                }.first
                let rate = format.flatMap { unit.formatBandwidth[$0] } ?? unit.memoryBandwidth
                cost.seconds[segment.unit, default: 0] += max(flops / unit.peakFP16, bytes / rate)
            }
        }
        return cost
    }

    /// The dependent steps of `nodes` in order: a new one starts at a node that reads a value
    /// written within the current step, as a barrier before it would.
    static func dependentSteps(_ nodes: [OpNode]) -> Int {
        var written = Set<ValueID>(), steps = 0
        for node in nodes {
            if steps == 0 || node.inputs.contains(where: written.contains) {
                steps += 1
                written.removeAll(keepingCapacity: true)
            }
            written.formUnion(node.outputs)
        }
        return steps
    }

    /// Arithmetic (FLOP) and memory traffic (bytes) of one op on a unit that reads only what it
    /// needs: weights at the file's bytes, activations at `activationBytes` each, the keys and values
    /// attention actually sees.
    static func work(_ node: OpNode, _ graph: ForwardGraph, start: Int, activationBytes ab: Double) -> (flops: Double, bytes: Double) {
        let n = Double(graph.tokenCount)
        let out = graph[node.outputs[0]]
        var activations = Double(node.inputs.filter { graph[$0].kind == .activation }.reduce(0) { $0 + graph[$1].elementCount })
        activations += Double(out.kind == .activation ? out.elementCount : 0)
        let weights = node.inputs.reduce(0.0) { total, v in
            guard case .weight(let format) = graph[v].kind else { return total }
            return total + Double(format.byteCount(elements: graph[v].elementCount) ?? graph[v].elementCount * 4)
        }
        switch node.op {
        case .matmul:
            let k = Double(graph[node.inputs[1]].shape.last!)
            return (2 * Double(out.elementCount) * k, weights + activations * ab)
        case .embed:
            let table = graph[node.inputs[0]]
            return (Double(out.elementCount), weights / Double(table.shape[0]) * n + Double(out.elementCount) * ab)
        case .attention(let p):
            // Keys each row sees, and the distinct keys the pass reads.
            let window = p.window ?? start + graph.tokenCount
            var seen = 0.0
            for r in 0..<graph.tokenCount { seen += Double(min(start + r + 1, window)) }
            let keys = Double(min(start + graph.tokenCount, window + graph.tokenCount - 1))
            let kvWidth = Double(p.kvHeads * p.headDim)
            return (4 * Double(p.heads * p.headDim) * seen, activations * ab + 2 * keys * kvWidth * ab)
        case .kvWrite:
            return (0, 2 * activations * ab)
        default:
            return (Double(out.elementCount), weights + activations * ab)
        }
    }
}
