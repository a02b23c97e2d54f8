import ArgumentParser
import SwitchyardModels

/// `-m MODEL`: a path to a GGUF file, or `smollm2` / `gemma3` for the fetched models.
struct ModelOption: ParsableArguments {
    @Option(name: [.customShort("m"), .long], help: "A GGUF file, or smollm2 / gemma3 for the models scripts/fetch-models.sh fetched.")
    var model: String

    @Flag(name: .long, help: "Log debug details to standard error.")
    var verbose = false

    func load() throws -> Model {
        Log.setUp(verbose: verbose)
        return try Model(model)
    }
}

