import ArgumentParser
import SwitchyardModels
import SwitchyardServer

/// `switchyard serve`: an OpenAI-compatible HTTP server over one loaded model.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve a model over an OpenAI-compatible HTTP API (chat completions, completions, models, health, metrics).",
        discussion: """
            The model is loaded and its weights prepared once; up to --parallel requests generate at once, \
            each in its own session (KV cache); up to --queue more wait, and one more gets 429. Every answer \
            carries the routing policy in an X-Switchyard-Policy header. --port 0 picks a free port; the \
            line "listening on http://HOST:PORT" on standard output says which. SIGINT or SIGTERM stops it.
            """)

    @OptionGroup var model: ModelOption
    @Option(name: .long, help: "The address to listen on.")
    var host = "127.0.0.1"
    @Option(name: .long, help: "The TCP port (0: any free port).")
    var port = 8080
    @Option(name: .long, help: "Most requests generating at once, each in its own session.")
    var parallel = 4
    @Option(name: .long, help: "Most requests waiting for a slot; one more gets 429.")
    var queue = 32
    @Option(name: .long, help: "The model's id in requests and /v1/models (default: the -m name, or the file's name without .gguf).")
    var alias: String?
    @OptionGroup var engineFlags: EngineFlags

    func validate() throws {
        if port < 0 || port > 65535 { throw ValidationError("--port must be in 0...65535") }
        if parallel < 1 { throw ValidationError("--parallel must be at least 1") }
        if queue < 0 { throw ValidationError("--queue must not be negative") }
    }

    /// The id requests name the model by.
    var modelID: String {
        if let alias { return alias }
        let file = String(model.model.split(separator: "/").last ?? Substring(model.model))
        return file.hasSuffix(".gguf") ? String(file.dropLast(5)) : file
    }

    func run() async throws {
        let loaded = try model.load()
        let engine = try engineFlags.makeEngine(loaded)
        try engine.warmUp()
        let configuration = ServerConfiguration(host: host, port: port, modelID: modelID, policyLabel: engine.policy.description,
                                                parallel: parallel, queueLimit: queue)
        let id = modelID, policy = engine.policy.description, slots = parallel, queue = queue, context = engine.contextLength
        try await OpenAIServer(engine: engine, configuration: configuration).run(logger: Log.main) { host, port in
            Console.write("switchyard serve: listening on http://\(host):\(port) (model \(id), policy \(policy), \(slots) slots, queue \(queue), context \(context))\n")
        }
    }
}
