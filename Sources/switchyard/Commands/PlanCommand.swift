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
    @Option(name: .long, help: "KV cache size in tokens (default: the model's context, at most 4096); an accelerator's attention reads the whole fixed buffer.")
    var context: Int?
    @Option(name: .long, help: "Also draw the plan as SVG into this file (layers as rows, ops coloured by compute unit, hand-offs marked).")
    var svg: String?
    @OptionGroup var selection: BackendSelection

    func validate() throws {
        if tokens < 1 { throw ValidationError("-n must be at least 1") }
        if let context, context < 1 { throw ValidationError("--context must be at least 1") }
    }

    func run() throws {
        let loaded = try model.load()
        let (policy, backends, notes) = try selection.resolveNoting()
        let engine = try Engine(model: loaded, backends: backends, policy: policy, contextLength: max(tokens, context ?? min(loaded.architecture.trainedContextLength, 4096)))
        let plan = try engine.plan(tokens: tokens, logits: .last)
        print("model \(loaded.name), \(tokens)-token pass, policy \(policy)")
        for note in notes { print("note: \(note)") }
        print(PlanReport(plan: plan, listOps: ops).text)
        if let svg {
            try TextFile.write(PlanSVG(plan: plan, title: "\(loaded.name): \(tokens)-token pass, policy \(selection.label)").svg, to: svg)
            print("wrote \(svg)")
        }
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
            if !s.transfersIn.isEmpty { line += "; \(s.transfersIn.count) hand-offs in (\(moved) bytes)" }
            let programs = plan.backends[s.backend]!.programs(for: s, in: plan.graph)
            if !programs.isEmpty {
                let runs = programs.reduce(0) { $0 + $1.invocations }
                line += "; \(programs.count) programs, \(runs) runs, modeled \(milliseconds(programs.reduce(0) { $0 + $1.modeledSeconds })) ms"
            }
            lines.append(line)
            if listOps {
                for p in programs {
                    lines.append("    program \(p.name): \(p.nodes.count) ops, \(p.tokens) rows × \(p.invocations), \(p.weightBytes) weight bytes, modeled \(milliseconds(p.modeledSeconds)) ms")
                }
            }
            if listOps {
                for t in s.transfersIn { lines.append("    hand-off \(t.name): \(t.from) → \(t.to), \(t.bytes) bytes") }
                for n in s.nodes { lines.append("    \(n.name) (\(n.kind.rawValue))") }
            }
        }
        let perBackend = plan.opsPerBackend.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
        lines.append("ops: \(plan.graph.nodes.count) (\(perBackend))")
        lines.append("segments: \(plan.segments.count)")
        lines.append("hand-offs between units: \(plan.transfers.count), \(plan.transferBytes) bytes (f32)")
        let programs = plan.segments.flatMap { plan.backends[$0.backend]!.programs(for: $0, in: plan.graph) }
        if !programs.isEmpty {
            lines.append("programs: \(programs.count) compiled, \(programs.reduce(0) { $0 + $1.invocations }) runs per pass, modeled unit time \(milliseconds(programs.reduce(0) { $0 + $1.modeledSeconds })) ms per pass")
        }
        let memory = plan.hostMemory
        let activationBytes = plan.graph.values.reduce(0) { $0 + (memory.offsets[$1.id] != nil ? $1.elementCount * 4 : 0) }
        lines.append("host activation memory: \(memory.size) bytes for \(memory.offsets.count) activations of \(activationBytes) bytes (\(memory.inPlaceCount) written in place)")
        return lines.joined(separator: "\n")
    }

    private func milliseconds(_ seconds: Double) -> String {
        let ms = seconds * 1000
        return String(Double(Int((ms * 1000).rounded())) / 1000)
    }
}
