import Switchyard

/// Which rows of logits a pass produces: only the last token's (generation) or every token's
/// (scoring a text).
public enum LogitRows: Sendable, Hashable {
    case last, all
}

/// A model architecture: it reads its hyperparameters from GGUF metadata, checks the file has the
/// tensors it needs, and builds the op graph of one forward pass.
public protocol Architecture: Sendable {
    /// The `general.architecture` values this type reads.
    static var names: [String] { get }
    /// Reads and validates hyperparameters and tensors.
    init(file: GGUFFile) throws
    /// The context length the model was trained for.
    var trainedContextLength: Int { get }
    var vocabularySize: Int { get }
    /// The graph of a pass over `tokens` tokens with a KV cache of `contextLength` positions, in a
    /// session whose passes take at most `maxBatch` tokens (sliding-window caches hold the window
    /// plus one batch).
    func graph(tokens: Int, contextLength: Int, maxBatch: Int, logits: LogitRows) -> ForwardGraph
}

/// The architectures Switchyard runs, by GGUF name (one line each).
public enum ArchitectureRegistry {
    public static let all: [any Architecture.Type] = [LlamaArchitecture.self, Gemma3Architecture.self]

    /// Builds the architecture the file names.
    /// - Throws: `ModelError.unknownArchitecture` for anything else.
    public static func load(_ file: GGUFFile) throws -> any Architecture {
        guard let type = all.first(where: { $0.names.contains(file.architecture ?? "") }) else {
            throw ModelError.unknownArchitecture(file.architecture, known: all.flatMap { $0.names })
        }
        return try type.init(file: file)
    }
}

/// Typed access to GGUF metadata for architectures, with clear errors.
struct MetadataReader {
    let file: GGUFFile
    let prefix: String

    func int(_ key: String) throws -> Int {
        guard let value = file.metadata[prefix + key] else { throw ModelError.missingMetadata(prefix + key) }
        guard let v = value.int, v > 0 else { throw ModelError.invalidMetadata(key: prefix + key, reason: "expected a positive integer, found \(value.summary)") }
        return v
    }

    /// The block count (`block_count`), checked against the tensors the file holds before anything
    /// is made per block: each block needs `tensorsPerBlock` of them.
    func blockCount(tensorsPerBlock: Int) throws -> Int {
        let blocks = try int("block_count")
        guard blocks <= file.tensors.count / tensorsPerBlock else {
            throw ModelError.invalidMetadata(key: prefix + "block_count",
                                             reason: "\(blocks) blocks need \(tensorsPerBlock) tensors each, but the file holds \(file.tensors.count) tensors")
        }
        return blocks
    }

    func int(_ key: String, default fallback: Int) throws -> Int {
        file.metadata[prefix + key] == nil ? fallback : try int(key)
    }

    func float(_ key: String, default fallback: Float? = nil) throws -> Float {
        guard let value = file.metadata[prefix + key] else {
            if let fallback { return fallback }
            throw ModelError.missingMetadata(prefix + key)
        }
        guard let v = value.double, v.isFinite, v > 0, Float(v).isFinite, Float(v) > 0 else {
            throw ModelError.invalidMetadata(key: prefix + key, reason: "expected a positive number within Float's range, found \(value.summary)")
        }
        return Float(v)
    }

    /// The tensor `name`, checked to have `shape`.
    func tensor(_ name: String, _ shape: [Int]) throws -> WeightTensor {
        guard let w = file.weight(name) else { throw ModelError.missingTensor(name) }
        guard w.shape == shape else { throw ModelError.tensorShape(name: name, expected: shape, found: w.shape) }
        return w
    }
}
