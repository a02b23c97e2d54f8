/// Turns a policy and a graph into a `Plan`: each op goes to the first backend of its candidate
/// list that supports it; runs of ops on one backend become segments; a transfer is inserted
/// wherever a segment reads a tensor that lives in another backend's storage.
public struct Planner: Sendable {
    public let policy: RoutingPolicy
    public let backends: [String: any Backend]

    /// - Throws: `PolicyError.unknownBackend` if the policy names a backend not in `backends`.
    public init(policy: RoutingPolicy, backends: [any Backend]) throws {
        let byName = Dictionary(backends.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        for name in policy.backendNames where byName[name] == nil {
            throw PolicyError.unknownBackend(name, available: backends.map(\.name))
        }
        self.policy = policy
        self.backends = byName.filter { policy.backendNames.contains($0.key) }
    }

    /// Plans `graph`.
    /// - Throws: `ExecutionError.unsupportedOp` naming the first op that no candidate backend runs,
    ///   with every candidate's reason.
    public func plan(_ graph: ForwardGraph) throws -> Plan {
        let assignment = try graph.nodes.map { try assign($0, graph) }

        // Where the current copies of each value live, by storage domain.
        var copies: [ValueID: Set<String>] = [:]
        var stateHomes: [ValueID: String] = [:]
        for node in graph.nodes {
            for v in node.inputs + node.outputs where graph[v].kind == .state && stateHomes[v] == nil {
                stateHomes[v] = assignment[node.index]
            }
        }
        for (v, home) in stateHomes { copies[v] = [storageDomain(of: backends[home]!)] }

        var lastUse: [ValueID: Int] = [:]
        for node in graph.nodes { for v in node.inputs { lastUse[v] = node.index } }

        var segments: [PlanSegment] = []
        var start = 0
        while start < graph.nodes.count {
            var end = start
            while end + 1 < graph.nodes.count && assignment[end + 1] == assignment[start] { end += 1 }
            let nodes = Array(graph.nodes[start...end])
            let backend = backends[assignment[start]]!
            let domain = storageDomain(of: backend)

            var produced = Set<ValueID>()
            var inputs: [ValueID] = []
            var transfers: [Transfer] = []
            for node in nodes {
                for v in node.inputs where !graph[v].kind.isWeight && !produced.contains(v) && !inputs.contains(v) {
                    inputs.append(v)
                    guard let have = copies[v] else { continue }
                    if !have.contains(domain) {
                        let source = graph.nodes[..<start].last { $0.outputs.contains(v) }.map { assignment[$0.index] } ?? stateHomes[v]!
                        transfers.append(Transfer(value: v, name: graph[v].name, from: source, to: backend.name,
                                                  bytes: graph[v].elementCount * MemoryLayout<Float>.size))
                        copies[v, default: []].insert(domain)
                    }
                }
                for v in node.outputs {
                    produced.insert(v)
                    copies[v] = [domain]
                }
            }
            let later = Set(graph.nodes[(end + 1)...].flatMap(\.inputs)).union(graph.outputs)
            let outputs = nodes.flatMap(\.outputs).filter { later.contains($0) || graph[$0].kind == .state }
            var weights: [ValueID] = [], seen: Set<ValueID> = []
            for v in nodes.flatMap(\.inputs) where graph[v].kind.isWeight && seen.insert(v).inserted { weights.append(v) }
            segments.append(PlanSegment(index: segments.count, backend: backend.name, unit: backend.unit, nodes: nodes,
                                        inputs: inputs, outputs: outputs, transfersIn: transfers, weights: weights))
            start = end + 1
        }
        let onHost = assignment.map { storageDomain(of: backends[$0]!) == hostDomain }
        let hostMemory = HostMemoryPlan.make(graph, onHost: onHost, lastUse: lastUse, keep: Set(graph.outputs))
        return Plan(graph: graph, policy: policy, backends: backends, assignment: assignment,
                    segments: segments, stateHomes: stateHomes, lastUse: lastUse, hostMemory: hostMemory)
    }

    private func assign(_ node: OpNode, _ graph: ForwardGraph) throws -> String {
        let candidates = policy.candidates(for: node.kind)
        guard !candidates.isEmpty else { throw ExecutionError.emptyPolicy(node.kind) }
        var reasons: [(backend: String, reason: String)] = []
        for name in candidates {
            switch backends[name]!.support(for: node, in: graph) {
            case .supported: return name
            case .unsupported(let why): reasons.append((name, why))
            }
        }
        throw ExecutionError.unsupportedOp(node: node.name, kind: node.kind, reasons: reasons)
    }
}
