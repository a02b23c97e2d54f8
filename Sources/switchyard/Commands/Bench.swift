import ArgumentParser
import Switchyard
import SwitchyardModels
#if canImport(Glibc)
import Glibc
#endif

/// `switchyard bench`: prefill and decode speed per policy, optionally side by side with llama.cpp
/// on the same file, prompt and thread count, alternating repetitions in one run.
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Measure prefill and decode speed per policy, optionally against llama.cpp in the same run.")

    enum OutputFormat: String, ExpressibleByArgument { case md, json }

    @OptionGroup var model: ModelOption
    @Option(name: .customLong("policy"), help: "A policy or backend to measure; repeat to compare several (default: auto).")
    var policies: [String] = []
    @Flag(name: .customLong("no-profile"), help: "Skip the per-op profile (on a GPU it times every dispatch with timestamps, which costs a little).")
    var noProfile = false
    @Option(name: .customLong("backend"), help: "A backend to measure on its own (same as --policy NAME); repeatable.")
    var backends: [String] = []
    @Option(name: .long, help: "The Vulkan device to run on (see `switchyard devices`).")
    var device: Int?
    @Option(name: [.customShort("p"), .customLong("prompt-tokens")], help: "Prompt tokens, prefilled in one pass.")
    var promptTokens = 512
    @Option(name: [.customShort("n"), .customLong("generate")], help: "Tokens generated one at a time after the prompt.")
    var generate = 128
    @Option(name: [.customShort("r"), .customLong("repetitions")], help: "Timed repetitions (after one warm-up); the median is reported.")
    var repetitions = 5
    @Option(name: [.customShort("t"), .long], help: "Threads, for Switchyard and llama.cpp alike.")
    var threads = BackendOptions.defaultThreads
    @Option(name: [.customShort("o"), .long], help: "md or json.")
    var output = OutputFormat.md
    @Option(name: .customLong("depth"), help: "Tokens in the cache when decode starts (default: the prompt, which decode continues; 0: an empty cache, as llama-bench's tg test).")
    var depth: Int?
    @Flag(name: .customLong("vs-llama-cpp"), help: "Also run llama.cpp's own llama-bench (native CPU build) on the same file, token counts and threads, alternating repetitions.")
    var vsLlamaCpp = false
    @Option(name: .customLong("llama-bench"), help: "The llama-bench executable (default: .llama-bench/build/bin/llama-bench, built by scripts/setup-llama-cpp.sh).")
    var llamaBench: String?
    @Flag(name: .customLong("vs-llama-cpp-python"), help: "Also run llama.cpp through its Python binding (llama-cpp-python), same tokens, alternating repetitions.")
    var vsLlamaCppPython = false
    @Option(name: .customLong("llama-python"), help: "The Python that has llama-cpp-python (default: .venv-llama/bin/python, made by scripts/setup-llama-cpp.sh).")
    var llamaPython = ".venv-llama/bin/python"
    @Option(name: .long, help: "Draw the figures into this SVG file.")
    var svg: String?

    func validate() throws {
        if promptTokens < 1 || generate < 1 || repetitions < 1 || threads < 1 { throw ValidationError("-p, -n, -r and -t must be at least 1") }
        if let depth, depth < 0 || depth > promptTokens { throw ValidationError("--depth must be between 0 and -p (\(promptTokens))") }
    }

    func run() throws {
        let loaded = try model.load()
        let registry = BackendCatalog.registry
        let options = BackendOptions(threads: threads, device: device)
        let names = policies.isEmpty && backends.isEmpty ? ["auto"] : policies + backends
        let prompt = BenchPrompt.tokens(loaded, count: promptTokens)
        let depth = self.depth ?? promptTokens
        let context = promptTokens + generate + 1
        guard context <= loaded.architecture.trainedContextLength else {
            throw ValidationError("-p + -n = \(context) exceeds the model's context of \(loaded.architecture.trainedContextLength)")
        }

        var runners: [BenchRunner] = []
        for name in names {
            let policy = try registry.policy(named: name, options: options)
            let engine = try Engine(model: loaded, backends: try registry.backends(for: policy, options: options), policy: policy,
                                    contextLength: context, batchSize: max(promptTokens, 1))
            runners.append(SwitchyardRunner(label: name == policy.description ? name : "\(name) (\(policy))", engine: engine, prompt: prompt,
                                            generate: generate, depth: depth, profiled: !noProfile))
        }
        if vsLlamaCpp {
            runners.append(try LlamaBenchRunner(executable: llamaBench ?? BenchPaths.llamaBench, modelPath: loaded.path, threads: threads,
                                                promptTokens: promptTokens, generate: generate, depth: depth))
        }
        if vsLlamaCppPython {
            runners.append(try LlamaCppRunner(python: llamaPython, modelPath: loaded.path, threads: threads, context: context,
                                              prompt: prompt, generate: generate, depth: depth))
        }

        var progress = Progress(total: (repetitions + 1) * runners.count)
        for repetition in 0...repetitions {   // repetition 0 warms up and is not counted
            for runner in runners {
                progress.show("\(runner.label): \(repetition == 0 ? "warm-up" : "repetition \(repetition)/\(repetitions)")")
                let sample = try runner.measure()
                if repetition > 0 { runner.samples.append(sample) }
            }
        }
        progress.clear()
        runners.forEach { $0.finish() }

        let report = BenchReport(model: loaded, promptTokens: promptTokens, generate: generate, depth: depth, repetitions: repetitions,
                                 threads: threads, runners: runners)
        print(output == .md ? report.markdown : report.json)
        if let svg { try BenchChart(report: report).write(to: svg) }
    }
}

/// The prompt both runtimes prefill: a fixed English text, tokenized by the model, repeated to length.
enum BenchPrompt {
    static let text = """
        A railway switchyard sorts cars that arrive in long strings from many origins, so that each car \
        leaves on a train headed the right way. Cars roll over a small hill, the hump, and switches below \
        it send each one to the track that collects its destination, while retarders slow them down. \
        The yardmaster decides when a block is complete and when to wait for one more car. 
        """

    static func tokens(_ model: Model, count: Int) -> [Int32] {
        let body = model.tokenizer.encode(text, addSpecial: false, parseSpecial: false)
        var tokens = model.tokenizer.encode("", addSpecial: true, parseSpecial: false)
        while tokens.count < count { tokens += body }
        return Array(tokens.prefix(count))
    }
}

/// One repetition's figures.
struct BenchSample {
    var prefillSeconds: Double
    var firstTokenSeconds: Double
    var decodeSeconds: Double
}

/// Something `bench` measures: a Switchyard policy or the llama.cpp peer.
class BenchRunner {
    let label: String
    var samples: [BenchSample] = []
    init(label: String) { self.label = label }
    func measure() throws -> BenchSample { fatalError("subclass") }
    func finish() {}
    /// Seconds per op kind and backend, summed over the timed repetitions (Switchyard only).
    var prefillProfile: OpProfile? { nil }
    var decodeProfile: OpProfile? { nil }
    /// Weight bytes one decode step reads.
    var bytesPerDecodeToken: Int? { nil }
    /// Backend activity per decode token over the timed repetitions ("vulkan dispatches": 412, …).
    var activityPerDecodeToken: [String: Double] { [:] }
}

final class SwitchyardRunner: BenchRunner {
    let engine: Engine
    let prompt: [Int32]
    let generate: Int
    /// Tokens in the cache when decode starts: all of the prompt (decode continues it), or a fresh
    /// session holding only its first `depth` tokens, prefilled before the decode clock starts.
    let depth: Int
    let prefill = OpProfile(), decode = OpProfile()
    private var warmedUp = false
    private var decodeActivity: [String: Int] = [:]
    private var decodedTokens = 0

    let profiled: Bool

    init(label: String, engine: Engine, prompt: [Int32], generate: Int, depth: Int, profiled: Bool) {
        self.engine = engine; self.prompt = prompt; self.generate = generate; self.depth = depth; self.profiled = profiled
        super.init(label: label)
    }

    override func measure() throws -> BenchSample {
        let session = engine.makeSession()
        let clock = ContinuousClock()
        session.profile = warmedUp && profiled ? prefill : nil
        let start = clock.now
        var logits = try session.forward(prompt, logits: .last)
        let prefilled = clock.now
        var token = argmax(logits)
        let firstToken = clock.now
        var decoding = session
        if depth < prompt.count {
            decoding = engine.makeSession()
            if depth > 0 { _ = try decoding.forward(Array(prompt[..<depth]), logits: .last) }
            token = prompt[depth]
        }
        let decodeStart = clock.now
        decoding.profile = warmedUp && profiled ? decode : nil
        let before = activity()
        for _ in 0..<generate {
            logits = try decoding.forward([token], logits: .last)
            token = argmax(logits)
        }
        let end = clock.now
        if warmedUp {
            for (key, value) in activity() {
                // Memory is a level, not a count: keep the latest.
                if key.hasSuffix("memory bytes") { decodeActivity[key] = value } else { decodeActivity[key, default: 0] += value - (before[key] ?? 0) }
            }
            decodedTokens += generate
        }
        warmedUp = true
        return BenchSample(prefillSeconds: (prefilled - start).seconds, firstTokenSeconds: (firstToken - start).seconds,
                           decodeSeconds: (end - decodeStart).seconds)
    }

    /// Every backend's activity counters, keyed "backend counter".
    private func activity() -> [String: Int] {
        var all: [String: Int] = [:]
        for backend in engine.backends { for (key, value) in backend.activity { all["\(backend.name) \(key)"] = value } }
        return all
    }

    override var activityPerDecodeToken: [String: Double] {
        Dictionary(uniqueKeysWithValues: decodeActivity.map { key, value in
            (key, key.hasSuffix("memory bytes") ? Double(value) : Double(value) / Double(max(decodedTokens, 1)))
        })
    }

    override var prefillProfile: OpProfile? { prefill }
    override var decodeProfile: OpProfile? { decode }

    override var bytesPerDecodeToken: Int? {
        guard let plan = try? engine.plan(tokens: 1, logits: .last) else { return nil }
        let graph = plan.graph
        var bytes = 0
        for node in graph.nodes {
            for input in node.inputs {
                guard case .weight = graph[input].kind, let w = engine.model.file.weight(graph[input].name) else { continue }
                bytes += node.kind == .embed ? w.rowBytes : w.bytes.count
            }
        }
        return bytes
    }

    private func argmax(_ logits: HostTensor) -> Int32 { Sampler.argmax(UnsafeBufferPointer(logits.storage)) }
}

/// A one-line progress indicator on a terminal (nothing when standard error is not one).
struct Progress {
    let total: Int
    private var done = 0
    private let enabled = isatty(2) != 0
    init(total: Int) { self.total = total }
    mutating func show(_ text: String) {
        guard enabled else { return }
        done += 1
        Console.error("\r\u{1B}[K[\(done)/\(total)] \(text)")
    }
    func clear() { if enabled { Console.error("\r\u{1B}[K") } }
}

extension String {
    /// The first range of `needle`, stdlib only.
    func range(of needle: String) -> Range<String.Index>? {
        var start = startIndex
        while start < endIndex {
            if self[start...].hasPrefix(needle) { return start..<index(start, offsetBy: needle.count) }
            start = index(after: start)
        }
        return nil
    }
}
