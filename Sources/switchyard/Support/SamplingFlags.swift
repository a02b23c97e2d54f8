import ArgumentParser
import SwitchyardModels

/// The sampling flags `generate` and `chat` share.
struct SamplingFlags: ParsableArguments {
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

    func validate() throws {
        if temperature < 0 { throw ValidationError("--temp must not be negative") }
        if topP <= 0 || topP > 1 { throw ValidationError("--top-p must be in (0, 1]") }
        if minP < 0 || minP >= 1 { throw ValidationError("--min-p must be in [0, 1)") }
        if repeatPenalty <= 0 { throw ValidationError("--repeat-penalty must be positive") }
    }

    var options: SamplingOptions {
        SamplingOptions(temperature: temperature, topK: topK, topP: topP, minP: minP, repetitionPenalty: repeatPenalty, seed: seed)
    }
}
