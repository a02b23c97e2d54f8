import ArgumentParser
import Switchyard
import SwitchyardModels
#if canImport(Glibc)
import Glibc
#endif

/// `switchyard check`: run two policies on the same tokens and say where they part.
struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Cross-check two policies: per-layer NMSE of hidden states, first op that departs, top-1 agreement and KL of the logits.")

    @OptionGroup var model: ModelOption
    @Option(name: .customLong("policy"), help: "The two policies to compare (give --policy twice); the first is the baseline.")
    var policies: [String] = []
    @Option(name: [.customShort("f"), .long], help: "Text to teacher-force (default: a built-in paragraph).")
    var file: String?
    @Option(name: .long, help: "Tokens of the text whose every op output is compared (one pass).")
    var traceTokens = 64
    @Option(name: .long, help: "Tokens per pass when teacher-forcing: 1 runs the decode path, a token at a time (and traces one token's ops).")
    var batch = 256
    @Option(name: .long, help: "NMSE above which an op's output counts as departed.")
    var threshold = 1e-4
    @Option(name: [.customShort("t"), .long], help: "CPU threads.")
    var threads = BackendOptions.defaultThreads
    @Option(name: .long, help: "The Vulkan device to run on (see `switchyard devices`).")
    var device: Int?
    @Flag(name: .customLong("no-range-guard"), help: "Let an fp16 unit take ops whose activations overflow fp16 (to see what the guard prevents).")
    var noRangeGuard = false

    func validate() throws {
        if policies.count != 2 { throw ValidationError("give exactly two --policy options") }
        if traceTokens < 1 { throw ValidationError("--trace-tokens must be at least 1") }
        if batch < 1 { throw ValidationError("--batch must be at least 1") }
    }

    func run() throws {
        let loaded = try model.load()
        let text = try file.map(TextFile.read) ?? String(repeating: BenchPrompt.text, count: 4)
        let tokens = loaded.tokenizer.encode(text, addSpecial: true, parseSpecial: false)
        guard tokens.count >= 2 else { throw ValidationError("the text has \(tokens.count) tokens; at least 2 are needed") }
        let registry = BackendCatalog.registry, options = BackendOptions(threads: threads, device: device, rangeGuard: !noRangeGuard)
        let engines = try policies.map { name -> Engine in
            let (policy, backends, notes) = try registry.available(for: try registry.policy(named: name, options: options), options: options)
            for note in notes { print("note: \(note)") }
            return try Engine(model: loaded, backends: backends, policy: policy,
                              contextLength: tokens.count, batchSize: batch)
        }
        print("model \(loaded.name); \(policies[0]) (baseline) vs \(policies[1]); \(tokens.count) tokens, \(min(batch, tokens.count)) per pass")
        for (name, engine) in zip(policies, engines) {
            let plan = try engine.plan(tokens: 1, logits: .last)
            let guarded = plan.graph.nodes.filter { node in
                plan.backends.values.contains { if case .unsupported(let why) = $0.support(for: node, in: plan.graph) { return why.hasPrefix("R9") } else { return false } }
            }
            if !guarded.isEmpty {
                print("\(name): \(guarded.count) ops kept off the fp16 unit by the range guard (R9), e.g. \(guarded.prefix(4).map(\.name).joined(separator: ", "))")
            }
        }

        // Every op's output over the first pass.
        let prefix = Array(tokens.prefix(min(traceTokens, batch)))
        let (graph, base) = try engines[0].makeSession().trace(prefix)
        let (_, other) = try engines[1].makeSession().trace(prefix)
        var firstDeparture: (String, Double)?
        var layerNMSE: [(String, Double, Double, Float)] = []   // layer, NMSE of its output, worst op NMSE inside, largest |x| inside
        var worstInLayer = 0.0
        var largestInLayer: Float = 0
        for node in graph.nodes {
            for out in node.outputs where graph[out].kind == .activation {
                let name = graph[out].name
                guard let a = base[name], let b = other[name] else { continue }
                let e = nmse(b, a)
                worstInLayer = max(worstInLayer, e)
                largestInLayer = max(largestInLayer, a.largestMagnitude)
                if firstDeparture == nil, e > threshold || e.isNaN { firstDeparture = (name, e) }
                if name.hasSuffix("ffn_residual") || name == "output" {
                    layerNMSE.append((name, e, worstInLayer, largestInLayer))
                    worstInLayer = 0
                    largestInLayer = 0
                }
            }
        }
        print("\nper-layer NMSE over the first \(prefix.count) tokens (layer output; worst op inside; the baseline's largest |x| inside, * beyond fp16's 65,504):")
        for (name, e, worst, largest) in layerNMSE {
            print("  \(name.padding(22)) \(sci(e).padding(9)) worst op \(sci(worst).padding(9)) max|x| \(sci(Double(largest)))\(largest > 65504 ? " *" : "")")
        }
        if let (name, e) = firstDeparture {
            print("first op departing beyond NMSE \(sci(threshold)): \(name) (NMSE \(sci(e)))")
        } else {
            print("no op departs beyond NMSE \(sci(threshold))")
        }

        // Logits over the whole text.
        let a = try engines[0].makeSession().forward(tokens, logits: .all)
        let b = try engines[1].makeSession().forward(tokens, logits: .all)
        var agree = 0, klSum = 0.0, klMax = 0.0
        var nearTies: [Double] = []
        for r in 0..<(tokens.count - 1) {
            let (pa, topA, marginA) = softmax(a.row(r), a.columns)
            let (pb, topB, _) = softmax(b.row(r), b.columns)
            if topA == topB { agree += 1 } else { nearTies.append(marginA) }
            var kl = 0.0
            for i in 0..<a.columns where pa[i] > 0 { kl += pa[i] * (log(pa[i]) - log(max(pb[i], 1e-300))) }
            klSum += kl; klMax = max(klMax, kl)
        }
        let positions = tokens.count - 1
        print("\nlogits over \(positions) positions: top-1 agreement \(agree)/\(positions) (\(fixed(100 * Double(agree) / Double(positions)))%), KL(baseline‖other) mean \(sci(klSum / Double(positions))), max \(sci(klMax))")
        if !nearTies.isEmpty { print("baseline's top-2 margins where they disagree: \(nearTies.prefix(20).map { fixed($0, 3) }.joined(separator: ", "))\(nearTies.count > 20 ? ", …" : "")") }
    }

    private func nmse(_ x: HostTensor, _ reference: HostTensor) -> Double {
        var num = 0.0, den = 0.0
        for i in 0..<min(x.count, reference.count) {
            let d = Double(x.storage[i]) - Double(reference.storage[i])
            num += d * d; den += Double(reference.storage[i]) * Double(reference.storage[i])
        }
        return den > 0 ? num / den : num
    }

    /// Probabilities, the top token and the top-2 logit margin of one row.
    private func softmax(_ row: UnsafeMutablePointer<Float>, _ count: Int) -> ([Double], Int, Double) {
        var top = 0, second = -Float.infinity
        for i in 1..<count where row[i] > row[top] { top = i }
        for i in 0..<count where i != top { second = max(second, row[i]) }
        let m = Double(row[top])
        var p = (0..<count).map { exp(Double(row[$0]) - m) }
        let total = p.reduce(0, +)
        for i in 0..<count { p[i] /= total }
        return (p, top, Double(row[top]) - Double(second))
    }

    private func sci(_ x: Double) -> String {
        guard x.isFinite, x > 0 else { return x == 0 ? "0" : "\(x)" }
        let e = Int(floor(log10(x)))
        return "\(fixed(x / pow(10, Double(e)), 2))e\(e)"
    }

    private func fixed(_ x: Double, _ digits: Int = 2) -> String {
        String(Double(Int((x * pow(10, Double(digits))).rounded())) / pow(10, Double(digits)))
    }
}
