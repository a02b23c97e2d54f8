import FuzzSupport
import Switchyard
import SwitchyardModels
import SwitchyardReference

/// Fuzz target (b): model loading. Each input is a whole GGUF file (the seeds are tiny llama and
/// gemma3 models). An accepted file becomes a `Model` (architecture hyperparameters, tensor shapes
/// and formats, the tokenizer's tables), whose graphs are built and planned for a few pass shapes and
/// which then runs one prefill and one decode step on the reference backend. Every refusal must be
/// a typed error of one line; every pass must give logits of the vocabulary's width.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzModel(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let path = FuzzFile.write(data, size)
    do {
        let model = try Model(file: try GGUFFile(path: path))
        try run(model)
    } catch {
        checkRefusal(error)
    }
    // The header-only path `simulate` takes: shapes, graphs and plans, no weights read.
    do {
        let model = try Model(file: try GGUFFile(path: path, shapesOnly: true))
        let engine = try Engine(model: model, backends: [ReferenceBackend(threads: 1)], policy: RoutingPolicy(["reference"]),
                                contextLength: min(model.architecture.trainedContextLength, 16), batchSize: 4)
        for tokens in [1, 4] { _ = try engine.plan(tokens: tokens, logits: .last) }
    } catch {
        checkRefusal(error)
    }
    return 0
}

/// A refusal must be one of the typed errors, described in one line.
func checkRefusal(_ error: Error) {
    let typed = error is GGUFError || error is ModelError || error is TokenizerError || error is ExecutionError || error is PolicyError
    fuzzCheck(typed, "untyped error: \(error)")
    let text = String(describing: error)
    fuzzCheck(!text.isEmpty && !text.contains("\n"), "error is not one line: \(text)")
}

/// Builds graphs and plans and runs a prompt and one decode step; the logits must have the
/// vocabulary's width.
func run(_ model: Model) throws {
    let architecture = model.architecture
    let context = min(architecture.trainedContextLength, 16)
    for tokens in [1, 3] {
        let graph = architecture.graph(tokens: tokens, contextLength: context, maxBatch: 4, logits: .last)
        fuzzCheck(!graph.nodes.isEmpty, "an empty graph")
    }
    let engine = try Engine(model: model, backends: [ReferenceBackend(threads: 1)], policy: RoutingPolicy(["reference"]),
                            contextLength: context, batchSize: 4)
    var prompt = model.tokenizer.encode("Hello world", addSpecial: true, parseSpecial: true)
    if prompt.isEmpty { prompt = [0] }
    prompt = Array(prompt.prefix(4))
    let session = engine.makeSession()
    let logits = try session.forward(prompt, logits: .last)
    fuzzCheck(logits.count == architecture.vocabularySize, "logits of \(logits.count) for a vocabulary of \(architecture.vocabularySize)")
    if prompt.count < context {
        let next = try session.forward([Int32(architecture.vocabularySize - 1)], logits: .last)
        fuzzCheck(next.count == architecture.vocabularySize, "decode logits of \(next.count)")
    }
    _ = model.tokenizer.decode(prompt)
    _ = ChatTemplate.detect(for: model).render([.user("Hello")], addGenerationPrompt: true)
}

@_cdecl("LLVMFuzzerInitialize")
public func initialize(_ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>) -> CInt {
    SeedHook.writeSeedsIfAsked { folder in
        FuzzFile.save(TinyModels.llama().serialize(), as: "tiny-llama.gguf", in: folder)
        FuzzFile.save(TinyModels.gemma3().serialize(), as: "tiny-gemma3.gguf", in: folder)
        FuzzFile.save(TinyModels.gemma3().serialize(headerOnly: true), as: "tiny-gemma3-header.gguf", in: folder)
        var untied = TinyModels.llama(seed: 3)
        untied.tensors.append(.init(name: "output.weight", shape: [266, 32], format: .q8_0,
                                    bytes: TinyModels.llama(seed: 3).tensors[0].bytes))
        FuzzFile.save(untied.serialize(), as: "tiny-llama-untied.gguf", in: folder)
    }
    return 0
}
