import Switchyard

/// A priced plan as data: every op with its kind, shapes, weight format and bytes, and the unit and
/// backend it runs on; the hand-offs with their bytes; the programs an accelerator compiles.
struct SimulationTrace {
    let plan: Plan
    let policy: String

    var json: String {
        let graph = plan.graph
        let units = Dictionary(plan.segments.flatMap { s in s.nodes.map { ($0.index, s.unit) } }, uniquingKeysWith: { a, _ in a })
        let ops = graph.nodes.map { node -> String in
            let weight = node.inputs.first { graph[$0].kind.isWeight }.map { graph[$0] }
            var fields = [
                "\"name\": \(JSON.string(node.name))", "\"kind\": \(JSON.string(node.kind.rawValue))",
                "\"unit\": \(JSON.string(units[node.index]!.rawValue))", "\"backend\": \(JSON.string(plan.assignment[node.index]))",
                "\"inputs\": [\(node.inputs.filter { !graph[$0].kind.isWeight }.map { "\(graph[$0].shape)" }.joined(separator: ", "))]",
                "\"output\": \(graph[node.outputs[0]].shape)",
            ]
            if let weight, case .weight(let format) = weight.kind {
                fields.append("\"weight\": {\"format\": \(JSON.string(format.description)), \"shape\": \(weight.shape), \"bytes\": \(format.byteCount(elements: weight.elementCount) ?? 0)}")
            }
            return "{" + fields.joined(separator: ", ") + "}"
        }
        let handoffs = plan.transfers.map { t in
            "{\"value\": \(JSON.string(t.name)), \"from\": \(JSON.string(t.from)), \"to\": \(JSON.string(t.to)), \"elements\": \(graph[t.value].elementCount)}"
        }
        let programs = plan.segments.flatMap { plan.backends[$0.backend]!.programs(for: $0, in: graph) }.map { p in
            "{\"name\": \(JSON.string(p.name)), \"ops\": \(p.nodes.count), \"rows\": \(p.tokens), \"invocations\": \(p.invocations), \"weight_bytes\": \(p.weightBytes), \"modeled_seconds\": \(JSON.number(p.modeledSeconds))}"
        }
        return """
            {"policy": \(JSON.string(policy)), "tokens": \(graph.tokenCount), "ops": [
            \(ops.joined(separator: ",\n"))
            ], "handoffs": [\(handoffs.joined(separator: ", "))], "programs": [\(programs.joined(separator: ", "))]}
            """
    }
}
