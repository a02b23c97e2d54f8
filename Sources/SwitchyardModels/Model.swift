/// A loaded model: the mapped GGUF file, its architecture and its tokenizer. Weights stay in the
/// mapping until a backend prepares them.
public final class Model: Sendable {
    public let path: String
    public let file: GGUFFile
    public let architecture: any Architecture
    public let tokenizer: any Tokenizer

    /// Loads a model by path or by a short name that `ModelLocator` knows ("smollm2", "gemma3").
    /// - Throws: `ModelError`, `GGUFError` or `TokenizerError`, each naming what is wrong.
    public convenience init(_ nameOrPath: String) throws {
        try self.init(file: GGUFFile(path: try ModelLocator.resolve(nameOrPath)))
    }

    public init(file: GGUFFile) throws {
        self.path = file.path
        self.file = file
        architecture = try ArchitectureRegistry.load(file)
        tokenizer = try TokenizerFactory.make(from: file)
        file.releaseMetadataPages()   // the tokenizer holds its own tables now
    }

    /// The model's name from its metadata, or its file name.
    public var name: String {
        file.metadata["general.name"]?.string ?? String(path.split(separator: "/").last ?? "")
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Finds model files: a path is used as given; a short name is looked up in the folder
/// `scripts/fetch-models.sh` fills (`$SWITCHYARD_MODELS`, else `~/.cache/switchyard/models`).
public enum ModelLocator {
    /// Short names and the files they stand for.
    public static let knownModels: [String: String] = [
        "smollm2": "SmolLM2-135M-Instruct.Q4_1.gguf",
        "gemma3": "gemma-3-270m-q4_k_m.gguf",
    ]

    /// The folder fetched models live in.
    public static var modelFolder: String {
        if let custom = getenv("SWITCHYARD_MODELS") { return String(cString: custom) }
        let home = getenv("HOME").map { String(cString: $0) } ?? "."
        return home + "/.cache/switchyard/models"
    }

    /// The path for `nameOrPath`.
    /// - Throws: `ModelError.modelNotFound` listing where it looked.
    public static func resolve(_ nameOrPath: String) throws -> String {
        var candidates = [nameOrPath]
        if let file = knownModels[nameOrPath.lowercased()] { candidates.insert(modelFolder + "/" + file, at: 0) }
        for path in candidates where access(path, F_OK) == 0 { return path }
        throw ModelError.modelNotFound(nameOrPath, searched: candidates)
    }
}
