import ArgumentParser
import SwitchyardModels

/// The flags that size a session, shared by `generate` and `chat`, and the engine they describe.
struct EngineFlags: ParsableArguments {
    @Option(name: .long, help: "KV cache size in tokens (default: the model's context, at most 4096).")
    var context: Int?
    @Option(name: [.customShort("b"), .long], help: "Most prompt tokens per prefill pass (sliding-window caches hold the window plus one batch).")
    var batch = 512
    @OptionGroup var selection: BackendSelection

    func validate() throws {
        if let context, context < 1 { throw ValidationError("--context must be at least 1") }
        if batch < 1 { throw ValidationError("--batch must be at least 1") }
    }

    /// An engine for `model` on the backends the flags choose.
    func makeEngine(_ model: Model) throws -> Engine {
        let (policy, backends, notes) = try selection.resolveNoting()
        for note in notes { Console.error("note: \(note)\n") }
        return try Engine(model: model, backends: backends, policy: policy, contextLength: context, batchSize: batch)
    }
}
