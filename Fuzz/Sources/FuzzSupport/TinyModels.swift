import Switchyard
@testable import SwitchyardModels

/// Tiny but complete models written by the project's `GGUFWriter`, the seeds of the GGUF and model
/// targets: every key and tensor the llama and gemma3 architectures read, both tokenizer kinds,
/// most weight formats, and a few kilobytes of weights, so a mutation reaches every check between
/// the header and a forward pass.
public enum TinyModels {
    /// A llama model: 2 layers, embedding 32, 4 query and 2 KV heads, a GPT-2 BPE vocabulary of 266
    /// tokens (3 control tokens, the 256 byte characters, 7 merges), Q8_0/Q4_1/Q4_0/Q5_0/F16/F32 weights.
    public static func llama(seed: UInt64 = 1) -> GGUFWriter {
        var random = SplitMix(seed)
        let specials = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
        let byteTexts = (0..<256).map { String(Character(Unicode.Scalar(GPT2ByteMap.characters[$0])!)) }
        let merges = ["H e", "l l", "ll o", "He llo", "Ġ w", "o r", "or ld"]
        let merged = merges.map { $0.replacingSpace() }
        let tokens = specials + byteTexts + merged
        let types = specials.map { _ in Int32(3) } + tokens.dropFirst(specials.count).map { _ in Int32(1) }
        let d = 32, ffn = 64, kv = 16, layers = 2
        var w = GGUFWriter()
        w.metadata = [
            ("general.architecture", .string("llama")),
            ("general.name", .string("tiny-llama")),
            ("llama.block_count", .uint32(UInt32(layers))),
            ("llama.context_length", .uint32(64)),
            ("llama.embedding_length", .uint32(UInt32(d))),
            ("llama.feed_forward_length", .uint32(UInt32(ffn))),
            ("llama.attention.head_count", .uint32(4)),
            ("llama.attention.head_count_kv", .uint32(2)),
            ("llama.rope.dimension_count", .uint32(8)),
            ("llama.rope.freq_base", .float32(10_000)),
            ("llama.attention.layer_norm_rms_epsilon", .float32(1e-5)),
            ("tokenizer.ggml.model", .string("gpt2")),
            ("tokenizer.ggml.pre", .string("smollm")),
            ("tokenizer.ggml.tokens", .array(.string, tokens.map { .string($0) })),
            ("tokenizer.ggml.token_type", .array(.int32, types.map { .int32($0) })),
            ("tokenizer.ggml.merges", .array(.string, merges.map { .string($0) })),
            ("tokenizer.ggml.bos_token_id", .uint32(1)),
            ("tokenizer.ggml.eos_token_id", .uint32(2)),
            ("tokenizer.ggml.add_bos_token", .bool(false)),
            ("tokenizer.chat_template", .string("{% for m in messages %}<|im_start|>{{m.role}}\n{{m.content}}<|im_end|>\n{% endfor %}")),
        ]
        func tensor(_ name: String, _ shape: [Int], _ format: WeightFormat) -> GGUFWriter.Tensor {
            .init(name: name, shape: shape, format: format, bytes: random.weights(format, elements: shape.reduce(1, *)))
        }
        w.tensors = [tensor("token_embd.weight", [tokens.count, d], .q8_0)]
        for l in 0..<layers {
            let p = "blk.\(l)."
            w.tensors += [
                tensor(p + "attn_norm.weight", [d], .f32),
                tensor(p + "attn_q.weight", [d, d], .q4_1),
                tensor(p + "attn_k.weight", [kv, d], .q4_0),
                tensor(p + "attn_v.weight", [kv, d], .q5_0),
                tensor(p + "attn_output.weight", [d, d], .f16),
                tensor(p + "ffn_norm.weight", [d], .f32),
                tensor(p + "ffn_gate.weight", [ffn, d], .q8_0),
                tensor(p + "ffn_up.weight", [ffn, d], .q4_1),
                tensor(p + "ffn_down.weight", [d, ffn], .q4_0),
            ]
        }
        w.tensors.append(tensor("output_norm.weight", [d], .f32))
        return w
    }

    /// A gemma3 model: 2 layers (one sliding), embedding 32, 2 query heads and 1 KV head of 16, a
    /// feed-forward of 256 (so Q4_K and Q6_K rows fit), a SentencePiece vocabulary of 272 tokens
    /// (specials, the 256 byte tokens, a few pieces with scores), BF16/Q5_0/Q8_0/Q4_0/Q4_K/Q6_K weights.
    public static func gemma3(seed: UInt64 = 2) -> GGUFWriter {
        var random = SplitMix(seed)
        let specials = ["<pad>", "<eos>", "<bos>", "<unk>", "<start_of_turn>", "<end_of_turn>"]
        let hex = Array("0123456789ABCDEF")
        let byteTokens = (0..<256).map { "<0x\(hex[$0 >> 4])\(hex[$0 & 15])>" }
        let pieces = ["▁", "H", "e", "l", "o", "▁H", "ll", "ello", "Hello", "▁Hello"]
        let tokens = specials + byteTokens + pieces
        let types: [Int32] = [3, 3, 3, 2, 4, 4] + byteTokens.map { _ in 6 } + pieces.map { _ in 1 }
        let scores: [Float] = specials.map { _ in 0 } + byteTokens.map { _ in 0 } + pieces.indices.map { -Float($0) }
        let d = 32, ffn = 256, headDim = 16, layers = 2
        var w = GGUFWriter()
        w.metadata = [
            ("general.architecture", .string("gemma3")),
            ("general.name", .string("tiny-gemma3")),
            ("gemma3.block_count", .uint32(UInt32(layers))),
            ("gemma3.context_length", .uint32(64)),
            ("gemma3.embedding_length", .uint32(UInt32(d))),
            ("gemma3.feed_forward_length", .uint32(UInt32(ffn))),
            ("gemma3.attention.head_count", .uint32(2)),
            ("gemma3.attention.head_count_kv", .uint32(1)),
            ("gemma3.attention.key_length", .uint32(UInt32(headDim))),
            ("gemma3.attention.value_length", .uint32(UInt32(headDim))),
            ("gemma3.attention.layer_norm_rms_epsilon", .float32(1e-6)),
            ("gemma3.rope.freq_base", .float32(1_000_000)),
            ("gemma3.attention.sliding_window", .uint32(4)),
            ("gemma3.attention.sliding_window_pattern", .array(.bool, [.bool(true), .bool(false)])),
            ("tokenizer.ggml.model", .string("llama")),
            ("tokenizer.ggml.tokens", .array(.string, tokens.map { .string($0) })),
            ("tokenizer.ggml.scores", .array(.float32, scores.map { .float32($0) })),
            ("tokenizer.ggml.token_type", .array(.int32, types.map { .int32($0) })),
            ("tokenizer.ggml.bos_token_id", .uint32(2)),
            ("tokenizer.ggml.eos_token_id", .uint32(1)),
            ("tokenizer.ggml.unknown_token_id", .uint32(3)),
            ("tokenizer.ggml.add_bos_token", .bool(true)),
            ("tokenizer.ggml.add_space_prefix", .bool(false)),
            ("tokenizer.chat_template", .string("{{ bos_token }}<start_of_turn>user\n{{ content }}<end_of_turn>\n")),
        ]
        func tensor(_ name: String, _ shape: [Int], _ format: WeightFormat) -> GGUFWriter.Tensor {
            .init(name: name, shape: shape, format: format, bytes: random.weights(format, elements: shape.reduce(1, *)))
        }
        w.tensors = [tensor("token_embd.weight", [tokens.count, d], .q8_0)]
        for l in 0..<layers {
            let p = "blk.\(l)."
            w.tensors += [
                tensor(p + "attn_norm.weight", [d], .f32),
                tensor(p + "attn_q.weight", [2 * headDim, d], .q5_0),
                tensor(p + "attn_k.weight", [headDim, d], .q8_0),
                tensor(p + "attn_v.weight", [headDim, d], .q4_0),
                tensor(p + "attn_q_norm.weight", [headDim], .f32),
                tensor(p + "attn_k_norm.weight", [headDim], .bf16),
                tensor(p + "attn_output.weight", [d, 2 * headDim], .bf16),
                tensor(p + "post_attention_norm.weight", [d], .f32),
                tensor(p + "ffn_norm.weight", [d], .f32),
                tensor(p + "ffn_gate.weight", [ffn, d], .q8_0),
                tensor(p + "ffn_up.weight", [ffn, d], .q4_0),
                tensor(p + "ffn_down.weight", [d, ffn], l == 0 ? .q4K : .q6K),
                tensor(p + "post_ffw_norm.weight", [d], .f32),
            ]
        }
        w.tensors.append(tensor("output_norm.weight", [d], .f32))
        return w
    }
}

/// SplitMix64: a small seeded generator, so the seeds are the same bytes on every run.
struct SplitMix {
    var state: UInt64
    init(_ seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Weights of `elements` values in `format`: for block formats random bytes whose fp16 scale
    /// fields are then set to a small normal value; for float formats small random values.
    mutating func weights(_ format: WeightFormat, elements: Int) -> [UInt8] {
        let count = format.byteCount(elements: elements)!
        var bytes = (0..<count).map { _ in UInt8(truncatingIfNeeded: next()) }
        func half(_ x: Float) -> [UInt8] { let h = Float16(x).bitPattern; return [UInt8(h & 0xFF), UInt8(h >> 8)] }
        let small = { (g: inout SplitMix) in Float(Int(g.next() % 2001) - 1000) / 40_000 }
        switch format {
        case .f32:
            bytes = (0..<elements).flatMap { _ in withUnsafeBytes(of: (1 + small(&self)).bitPattern.littleEndian, Array.init) }
        case .f16:
            bytes = (0..<elements).flatMap { _ in half(small(&self)) }
        case .bf16:
            bytes = (0..<elements).flatMap { _ in let b = UInt16((1 + small(&self)).bitPattern >> 16); return [UInt8(b & 0xFF), UInt8(b >> 8)] }
        default:
            // Every block format keeps its fp16 scale (d) in its first two bytes except Q6_K (last two);
            // Q4_1 and Q4_K keep a second fp16 (m, dmin) right after it.
            let blocks = count / format.blockBytes
            for b in 0..<blocks {
                let at = format == .q6K ? (b + 1) * format.blockBytes - 2 : b * format.blockBytes
                bytes.replaceSubrange(at..<at + 2, with: half(0.01))
                if format == .q4_1 || format == .q4K { bytes.replaceSubrange(at + 2..<at + 4, with: half(0.001)) }
            }
        }
        return bytes
    }
}

extension String {
    /// A merge rule's two symbols joined ("ll o" → "llo").
    func replacingSpace() -> String { String(filter { $0 != " " }) }
}
