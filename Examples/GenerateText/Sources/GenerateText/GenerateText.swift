import Switchyard
import SwitchyardBLAS
import SwitchyardModels
import SwitchyardReference

/// Loads a model, picks a routing policy (the BLAS backend, the reference for anything it lacks),
/// prints the plan the planner makes of a decode pass, and streams a greedy continuation.
///
///     swift run GenerateText [MODEL] [PROMPT]
///
/// MODEL is a GGUF path or a name the project's scripts fetched (smollm2, gemma3).
@main
struct GenerateText {
    static func main() async throws {
        let arguments = Array(CommandLine.arguments.dropFirst())
        let model = try Model(arguments.first ?? "smollm2")
        let prompt = arguments.count > 1 ? arguments[1] : "The capital of France is"

        let backends: [any Backend] = [BLASBackend(threads: 2), ReferenceBackend(threads: 2)]
        let engine = try Engine(model: model, backends: backends, policy: RoutingPolicy(["blas", "reference"]), contextLength: 256)

        let plan = try engine.plan(tokens: 1, logits: .last)
        print("model: \(model.name); policy: \(engine.policy)")
        for segment in plan.segments {
            print("  segment \(segment.index): \(segment.nodes.count) ops on \(segment.backend) (\(segment.unit.rawValue))")
        }

        print(prompt, terminator: "")
        let options = GenerationOptions(maxTokens: 16, sampling: SamplingOptions(temperature: 0))
        for try await piece in engine.generate(prompt, options: options) {
            print(piece, terminator: "")
        }
        print()
    }
}
