import ArgumentParser
import Switchyard
import SwitchyardModels

/// `switchyard plan`: which op runs where, with segment and transfer counts.
struct PlanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "plan", abstract: "Show how a policy splits a model's pass across backends.")

    @OptionGroup var model: ModelOption
    @Option(name: [.customShort("n"), .long], help: "Tokens in the pass (1 is a decode step).")
    var tokens = 1
    @Flag(name: .long, help: "List every op, not just the segments.")
    var ops = false
    @OptionGroup var selection: BackendSelection

    func validate() throws { if tokens < 1 { throw ValidationError("-n must be at least 1") } }

    func run() throws {
        let loaded = try model.load()
        let (policy, backends) = try selection.resolve()
        let engine = try Engine(model: loaded, backends: backends, policy: policy, contextLength: max(tokens, 64))
        let plan = try engine.plan(tokens: tokens, logits: .last)
        print("model \(loaded.name), \(tokens)-token pass, policy \(policy)")
        print(PlanReport(plan: plan, listOps: ops).text)
    }
}

/// A plan as text: its segments, its transfers and the totals.
struct PlanReport {
    let plan: Plan
    let listOps: Bool

    var text: String {
        var lines: [String] = []
        for s in plan.segments {
            let first = s.nodes.first!.name, last = s.nodes.last!.name
            let moved = s.transfersIn.reduce(0) { $0 + $1.bytes }
            var line = "segment \(s.index): \(s.backend) [\(s.unit.rawValue)], \(s.nodes.count) ops, \(first) … \(last)"
            if !s.transfersIn.isEmpty { line += "; \(s.transfersIn.count) transfers in (\(moved) bytes)" }
            lines.append(line)
            if listOps {
                for t in s.transfersIn { lines.append("    transfer \(t.name): \(t.from) → \(t.to), \(t.bytes) bytes") }
                for n in s.nodes { lines.append("    \(n.name) (\(n.kind.rawValue))") }
            }
        }
        let perBackend = plan.opsPerBackend.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
        lines.append("ops: \(plan.graph.nodes.count) (\(perBackend))")
        lines.append("segments: \(plan.segments.count)")
        lines.append("transfers: \(plan.transfers.count), \(plan.transferBytes) bytes")
        let memory = plan.hostMemory
        let activationBytes = plan.graph.values.reduce(0) { $0 + (memory.offsets[$1.id] != nil ? $1.elementCount * 4 : 0) }
        lines.append("host activation memory: \(memory.size) bytes for \(memory.offsets.count) activations of \(activationBytes) bytes (\(memory.inPlaceCount) written in place)")
        return lines.joined(separator: "\n")
    }
}
