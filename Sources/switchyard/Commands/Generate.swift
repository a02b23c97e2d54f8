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
    @OptionGroup var sampling: SamplingFlags
    @Option(name: .long, help: "Stop when this text appears. Repeatable.")
    var stop: [String] = []
    @OptionGroup var engineFlags: EngineFlags
    @Option(name: .long, help: "After the run, write the plans it executed (every op: kind, shapes, weight format and bytes, unit; hand-offs; programs) as a JSON trace to this file.")
    var saveTrace: String?

    func validate() throws {
        if tokens < 0 { throw ValidationError("-n must not be negative") }
    }

    func run() async throws {
        let loaded = try model.load()
        let engine = try engineFlags.makeEngine(loaded)
        let policy = engine.policy
        Log.main.debug("model \(loaded.name) with policy \(policy)")
        let options = GenerationOptions(
            maxTokens: tokens,
            sampling: sampling.options(),
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
                let host = Double(s.promptTokens) / max(s.prefillTokensPerSecond, 1e-9) + Double(s.generatedTokens) / max(s.decodeTokensPerSecond, 1e-9)
                for line in ModeledCost.lines(engine.backends, activity: \.activity, hostSeconds: host) { Console.error(line + "\n") }
                if let saveTrace {
                    let traces = engine.plansMade.map { SimulationTrace(plan: $0, policy: engine.policy.description).json }
                    try TextFile.write("[\n" + traces.joined(separator: ",\n") + "\n]\n", to: saveTrace)
                }
            }
        }
    }
}

/// A number with two decimals.
func format(_ x: Double) -> String {
    let scaled = (x * 100).rounded() / 100
    return String(scaled)
}
