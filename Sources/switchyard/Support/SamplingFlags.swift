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
    @Option(name: .long, parsing: .unconditional, help: "Seed of the random draw: the same seed, model and prompt give the same text. -1 (the default) picks a random seed; --verbose prints the one used.")
    var seed: Int64 = -1

    func validate() throws {
        if temperature < 0 { throw ValidationError("--temp must not be negative") }
        if topP <= 0 || topP > 1 { throw ValidationError("--top-p must be in (0, 1]") }
        if minP < 0 || minP >= 1 { throw ValidationError("--min-p must be in [0, 1)") }
        if repeatPenalty <= 0 { throw ValidationError("--repeat-penalty must be positive") }
        if seed < -1 { throw ValidationError("--seed must be a seed (0 or more), or -1 for a random one") }
    }

    /// The sampling options, with a random seed drawn now when none was given (logged, so that
    /// `--verbose` shows how to repeat the run).
    func options() -> SamplingOptions {
        let seed = self.seed >= 0 ? UInt64(self.seed) : UInt64.random(in: 0...UInt64(Int64.max))
        Log.main.debug("sampling seed \(seed)\(self.seed < 0 ? " (random; --seed \(seed) repeats this run)" : "")")
        return SamplingOptions(temperature: temperature, topK: topK, topP: topP, minP: minP, repetitionPenalty: repeatPenalty, seed: seed)
    }
}
