import ArgumentParser
import Switchyard
import SwitchyardModels

/// `switchyard generate`: stream a continuation of a prompt.
struct Generate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Generate text from a prompt, streaming tokens as they come.")

    @OptionGroup var model: ModelOption
    @Option(name: [.customShort("p"), .long], help: "The prompt.")
    var prompt: String
    @Option(name: [.customShort("n"), .long], help: "Most tokens to generate.")
    var tokens = 128
    @Option(name: .customLong("temp"), help: "Sampling temperature; 0 is greedy.")
    var temperature: Float = 0.8
    @Option(name: .customLong("top-k"), help: "Keep the k most likely tokens (0: all).")
    var topK = 40
    @Option(name: .customLong("top-p"), help: "Keep the smallest set of tokens whose probability reaches p (1: all).")
    var topP: Float = 0.95
    @Option(name: .customLong("min-p"), help: "Drop tokens less likely than min-p times the most likely (0: none).")
    var minP: Float = 0.05
    @Option(name: .customLong("repeat-penalty"), help: "Penalty for tokens among the last 64 (1: none).")
    var repeatPenalty: Float = 1.0
    @Option(name: .long, help: "Random seed for sampling.")
    var seed: UInt64 = 0
    @Option(name: .long, help: "Stop when this text appears. Repeatable.")
    var stop: [String] = []
    @Option(name: .long, help: "KV cache size in tokens (default: the model's context, at most 4096).")
    var context: Int?
    @OptionGroup var selection: BackendSelection

    func validate() throws {
        if tokens < 0 { throw ValidationError("-n must not be negative") }
        if temperature < 0 { throw ValidationError("--temp must not be negative") }
        if topP <= 0 || topP > 1 { throw ValidationError("--top-p must be in (0, 1]") }
        if minP < 0 || minP >= 1 { throw ValidationError("--min-p must be in [0, 1)") }
        if repeatPenalty <= 0 { throw ValidationError("--repeat-penalty must be positive") }
        if let context, context < 1 { throw ValidationError("--context must be at least 1") }
    }

    func run() async throws {
        let loaded = try model.load()
        let (policy, backends) = try selection.resolve()
        let engine = try Engine(model: loaded, backends: backends, policy: policy, contextLength: context)
        Log.main.debug("model \(loaded.name) with policy \(policy)")
        let options = GenerationOptions(
            maxTokens: tokens,
            sampling: SamplingOptions(temperature: temperature, topK: topK, topP: topP, minP: minP,
                                      repetitionPenalty: repeatPenalty, seed: seed),
            stopStrings: stop)
        let session = engine.makeSession()
        Console.write(prompt)
        for try await event in session.generate(prompt, options: options) {
            switch event {
            case .text(let piece):
                Console.write(piece)
            case .finished(let s):
                Console.write("\n")
                Console.error("""
                    prompt: \(s.promptTokens) tokens, \(format(s.prefillTokensPerSecond)) tok/s; \
                    generated: \(s.generatedTokens) tokens, \(format(s.decodeTokensPerSecond)) tok/s (\(s.stopReason.rawValue)); \
                    policy \(policy): \(session.segmentCount) segments run, \(session.transferCount) transfers\n
                    """)
            }
        }
    }
}

/// A number with two decimals.
func format(_ x: Double) -> String {
    let scaled = (x * 100).rounded() / 100
    return String(scaled)
}
