import Switchyard
import SwitchyardModels

/// A model described by its hyperparameters and weight formats alone, for pricing models nobody
/// has downloaded (`switchyard simulate --config FILE`): it becomes a header-only GGUF (metadata and
/// tensor table, no data) that the real architecture code reads, so its graphs are exactly the ones
/// a real file of that shape would get.
///
///     {"name": "Gemma-like 4B, INT4", "architecture": "gemma3", "layers": 34, "embedding": 2560,
///      "feedForward": 10240, "heads": 8, "kvHeads": 4, "headDim": 256, "vocabulary": 262144,
///      "contextLength": 4096, "slidingWindow": 1024, "weights": "Q4_0", "embeddingWeights": "Q8_0"}
///
/// `architecture` is `llama` or `gemma3`; `weights` is the format of every matrix (a GGUF type name:
/// Q4_0 is 4-bit integers in groups of 32, what "INT4" checkpoints use), `embeddingWeights` that of
/// the token table (default: `weights`); norms are F32. Optional: `ropeBase`, `ropeBaseLocal`
/// (gemma3), `normEps`, `tiedOutput` (default true).
struct ModelConfig {
    let name: String
    let json: JSONValue

    struct ConfigError: Error, CustomStringConvertible {
        let message: String
        var description: String { message }
    }

    init(path: String) throws {
        json = try JSONValue.parse(try TextFile.read(path))
        name = json["name"]?.string ?? path
    }

    private func int(_ key: String) throws -> Int {
        guard let x = json[key]?.number, x >= 1, x == x.rounded(), x < 1e9 else { throw ConfigError(message: "model config: '\(key)' must be a positive integer") }
        return Int(x)
    }

    private func format(_ key: String, default fallback: WeightFormat? = nil) throws -> WeightFormat {
        guard let text = json[key]?.string else {
            if let fallback { return fallback }
            throw ConfigError(message: "model config: '\(key)' must name a weight format (\(WeightFormat.allCases.map(\.description).joined(separator: ", ")))")
        }
        guard let format = WeightFormat.allCases.first(where: { $0.description.lowercased() == text.lowercased() }) else {
            throw ConfigError(message: "model config: unknown weight format '\(text)' (\(WeightFormat.allCases.map(\.description).joined(separator: ", ")))")
        }
        return format
    }

    /// The header-only GGUF of this config, written to `path`.
    func writeHeader(to path: String) throws {
        guard let architecture = json["architecture"]?.string, ["llama", "gemma3"].contains(architecture) else {
            throw ConfigError(message: "model config: 'architecture' must be llama or gemma3")
        }
        let layers = try int("layers"), d = try int("embedding"), ffn = try int("feedForward")
        let heads = try int("heads"), kvHeads = try int("kvHeads"), vocabulary = try int("vocabulary"), context = try int("contextLength")
        let headDim = json["headDim"] == nil ? d / heads : try int("headDim")
        let matrices = try format("weights"), table = try format("embeddingWeights", default: matrices)
        for (label, f, width) in [("weights", matrices, d), ("weights", matrices, ffn), ("embeddingWeights", table, d)] where width % f.blockSize != 0 {
            throw ConfigError(message: "model config: a row of \(width) is not a whole number of \(f) blocks of \(f.blockSize) ('\(label)')")
        }
        let p = architecture + "."
        var metadata: [(String, GGUFValue)] = [
            ("general.architecture", .string(architecture)), ("general.name", .string(name)),
            (p + "block_count", .uint32(UInt32(layers))), (p + "embedding_length", .uint32(UInt32(d))),
            (p + "feed_forward_length", .uint32(UInt32(ffn))), (p + "attention.head_count", .uint32(UInt32(heads))),
            (p + "attention.head_count_kv", .uint32(UInt32(kvHeads))), (p + "context_length", .uint32(UInt32(context))),
            (p + "attention.layer_norm_rms_epsilon", .float32(Float(json["normEps"]?.number ?? 1e-6))),
            (p + "rope.freq_base", .float32(Float(json["ropeBase"]?.number ?? (architecture == "gemma3" ? 1_000_000 : 10_000)))),
            (p + "attention.key_length", .uint32(UInt32(headDim))), (p + "attention.value_length", .uint32(UInt32(headDim))),
        ]
        if architecture == "gemma3" {
            metadata.append((p + "attention.sliding_window", .uint32(UInt32(try int("slidingWindow")))))
            metadata.append((p + "rope.freq_base_swa", .float32(Float(json["ropeBaseLocal"]?.number ?? 10_000))))
        }
        var writer = GGUFWriter()
        writer.metadata = metadata
        func tensor(_ name: String, _ shape: [Int], _ format: WeightFormat) {
            writer.tensors.append(.init(name: name, shape: shape, format: format, bytes: []))
        }
        tensor("token_embd.weight", [vocabulary, d], table)
        let qWidth = heads * headDim, kvWidth = kvHeads * headDim
        for l in 0..<layers {
            let b = "blk.\(l)."
            tensor(b + "attn_norm.weight", [d], .f32)
            tensor(b + "attn_q.weight", [qWidth, d], matrices)
            tensor(b + "attn_k.weight", [kvWidth, d], matrices)
            tensor(b + "attn_v.weight", [kvWidth, d], matrices)
            tensor(b + "attn_output.weight", [d, qWidth], matrices)
            tensor(b + "ffn_norm.weight", [d], .f32)
            tensor(b + "ffn_gate.weight", [ffn, d], matrices)
            tensor(b + "ffn_up.weight", [ffn, d], matrices)
            tensor(b + "ffn_down.weight", [d, ffn], matrices)
            if architecture == "gemma3" {
                tensor(b + "attn_q_norm.weight", [headDim], .f32)
                tensor(b + "attn_k_norm.weight", [headDim], .f32)
                tensor(b + "post_attention_norm.weight", [d], .f32)
                tensor(b + "post_ffw_norm.weight", [d], .f32)
            }
        }
        tensor("output_norm.weight", [d], .f32)
        if json["tiedOutput"] == .bool(false) { tensor("output.weight", [vocabulary, d], table) }
        try TextFile.writeBytes(writer.serialize(headerOnly: true), to: path)
    }

    /// The architecture of this config, read back from its header (no weights).
    func architecture(scratch path: String) throws -> (any Architecture, GGUFFile) {
        try writeHeader(to: path)
        let file = try GGUFFile(path: path, shapesOnly: true)
        return (try ArchitectureRegistry.load(file), file)
    }
}
