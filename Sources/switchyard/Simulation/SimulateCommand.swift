import ArgumentParser
import Switchyard
import SwitchyardBLAS
import SwitchyardModels
import SwitchyardNeuralAccelerator

/// `switchyard simulate`: price a model's real plans on a device profile, per policy — the
/// question of the seed article (GPU-only against accelerator-routed on a phone) computed from
/// the graphs Switchyard executes and public hardware figures.
struct Simulate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Price a model's plans on a device profile: prefill and decode speed, energy, hand-offs, sustained speed with throttling.")

    @Option(name: [.customShort("m"), .long], help: "A GGUF file, or smollm2 / gemma3.")
    var model: String?
    @Option(name: .long, help: "A model config (hyperparameters and weight formats, no weights): see docs/device-profiles.md.")
    var config: String?
    @Option(name: .long, help: "A device profile: a name in profiles/ (\(DeviceProfile.known.joined(separator: ", "))) or a JSON file.")
    var profile: String
    @Option(name: .customLong("policy"), help: "A policy to price (repeat to compare), e.g. gpu-only, accelerator-routed, cpu.")
    var policies: [String] = []
    @Option(name: [.customShort("p"), .long], help: "Prompt tokens.")
    var promptTokens = 128
    @Option(name: [.customShort("n"), .long], help: "Tokens generated.")
    var generate = 128
    @Option(name: .long, help: "KV cache length (an accelerator's attention reads the whole fixed buffer); default: prompt + generated.")
    var context: Int?
    @Option(name: [.customShort("b"), .long], help: "Most prompt tokens per prefill pass.")
    var batch = 512
    @Option(name: .long, help: "Minutes of sustained decoding for the thermal model.")
    var minutes = 10.0
    @Option(name: .long, help: "For --config: the real model whose calibrated activation magnitudes (largest over its layers, op by op) stand in for the config's (default: smollm2 for llama, gemma3 for gemma3).")
    var calibrateWith: String?
    @Option(name: [.customShort("o"), .long], help: "md or json.")
    var output = "md"
    @Option(name: .long, help: "Draw decode tok/s over the run for each policy into this SVG file.")
    var svg: String?
    @Option(name: .long, help: "Write the priced decode traces (every op: kind, shapes, format, bytes, unit; hand-offs; programs) as JSON to this file.")
    var saveTrace: String?

    func validate() throws {
        if (model == nil) == (config == nil) { throw ValidationError("give either -m MODEL or --config FILE") }
        if policies.isEmpty { throw ValidationError("give at least one --policy") }
        if promptTokens < 1 || generate < 1 || batch < 1 { throw ValidationError("-p, -n and -b must be at least 1") }
        if let context, context < promptTokens + generate { throw ValidationError("--context must hold the prompt and the generated tokens") }
        if !(minutes >= 0) { throw ValidationError("--minutes must not be negative") }
        if !["md", "json"].contains(output) { throw ValidationError("-o must be md or json") }
    }

    func run() throws {
        let device = try DeviceProfile.load(profile)
        let source = try GraphSource(model: model, config: config, calibrateWith: calibrateWith)
        let contextLength = context ?? promptTokens + generate
        var results: [PolicySimulation] = []
        var traces: [String] = []
        for name in policies {
            let (policy, backends, notes) = try Self.backends(for: name, device: device)
            for note in notes { Console.error("note: \(note)\n") }
            let planner = try Planner(policy: policy, backends: backends)
            let magnitudes = backends.contains(where: \.wantsActivationMagnitudes) ? try source.magnitudes() : [:]
            func plan(_ tokens: Int) throws -> Plan {
                var graph = source.architecture.graph(tokens: tokens, contextLength: contextLength, maxBatch: min(batch, promptTokens), logits: .last)
                graph.largestMagnitudes = magnitudes
                return try planner.plan(graph)
            }
            // Prefill in passes of at most `batch` tokens, then decode priced at the run's mean position.
            var prefill = PassPricing(), prefillSeconds = 0.0, start = 0
            while start < promptTokens {
                let n = min(batch, promptTokens - start)
                let pass = try PassPricing.price(try plan(n), startPosition: start, on: device)
                prefillSeconds += pass.total
                prefill.accumulate(pass)
                start += n
            }
            let decodePlan = try plan(1)
            let decode = try PassPricing.price(decodePlan, startPosition: promptTokens + generate / 2, on: device)
            let energy = PolicySimulation.decodeEnergy(decode, on: device)
            results.append(PolicySimulation(
                policy: name, prefillSeconds: prefillSeconds, promptTokens: promptTokens, decode: decode, prefill: prefill,
                decodeEnergyJoules: energy,
                thermal: ThermalRun(tokensPerSecond: 1 / decode.total, joulesPerToken: energy, thermal: device.thermal, minutes: minutes),
                offAccelerator: Self.offAccelerator(decodePlan, backends), opsByUnit: Self.opsByUnit(decodePlan)))
            traces.append(SimulationTrace(plan: decodePlan, policy: name).json)
        }
        let report = SimulationReport(model: source.name, device: device, promptTokens: promptTokens, generate: generate,
                                      context: contextLength, minutes: minutes, results: results, calibrationNote: source.calibrationNote)
        print(output == "json" ? report.json : report.markdown)
        if let svg { try TextFile.write(report.chart, to: svg) }
        if let saveTrace { try TextFile.write("[\n" + traces.joined(separator: ",\n") + "\n]\n", to: saveTrace) }
    }

    /// The backends of a policy for pricing, as the registry makes them (a fallback that cannot
    /// start here is left out with a note; only `support` answers are used), with the accelerator
    /// on the device's own figures.
    static func backends(for name: String, device: DeviceProfile) throws -> (RoutingPolicy, [any Backend], [String]) {
        let registry = BackendCatalog.registry
        let options = BackendOptions(threads: 1)
        let (policy, made, notes) = try registry.available(for: try registry.policy(named: name, options: options), options: options)
        let backends: [any Backend] = made.map { backend in
            backend.unit == .accelerator ? AcceleratorBackend(threads: 1, cost: device.acceleratorCost ?? .phone) : backend
        }
        return (policy, backends, notes)
    }

    static func offAccelerator(_ plan: Plan, _ backends: [any Backend]) -> [(kind: String, count: Int, reason: String)] {
        guard let unit = backends.first(where: { $0.unit == .accelerator }) else { return [] }
        var groups: [String: (count: Int, reason: String)] = [:]
        for node in plan.graph.nodes where plan.assignment[node.index] != unit.name {
            guard case .unsupported(let reason) = unit.support(for: node, in: plan.graph) else { continue }
            groups["\(node.kind.rawValue) (\(reason.prefix { $0 != ":" }))", default: (0, reason)].count += 1
        }
        return groups.keys.sorted().map { ($0, groups[$0]!.count, groups[$0]!.reason) }
    }

    static func opsByUnit(_ plan: Plan) -> [ComputeUnit: Int] {
        plan.segments.reduce(into: [:]) { $0[$1.unit, default: 0] += $1.nodes.count }
    }
}

extension PassPricing {
    mutating func accumulate(_ other: PassPricing) {
        for (unit, s) in other.seconds { seconds[unit, default: 0] += s }
        handoffSeconds += other.handoffSeconds; handoffs += other.handoffs; handoffBytes += other.handoffBytes
        dispatches += other.dispatches; steps += other.steps; programs += other.programs
    }
}
