/// Turns text into token ids and token ids back into bytes, the way llama.cpp does for the same
/// GGUF vocabulary. One tokenizer per model file; immutable once built, so it can be shared freely.
public protocol Tokenizer: Sendable {
    /// Number of tokens in the vocabulary (`tokenizer.ggml.tokens`).
    var vocabularySize: Int { get }
    /// The beginning-of-sequence token (`tokenizer.ggml.bos_token_id`, or the model type's default).
    var bosToken: Int32? { get }
    /// The end-of-sequence token (`tokenizer.ggml.eos_token_id`, or the model type's default).
    var eosToken: Int32? { get }
    /// Whether `encode(_:addSpecial: true, ...)` prepends BOS (`tokenizer.ggml.add_bos_token`, defaulting
    /// as llama.cpp does for the model type).
    var addsBOS: Bool { get }

    /// The token ids for `text`.
    /// - Parameters:
    ///   - text: any string.
    ///   - addSpecial: add the special tokens the model asks for: BOS in front when `addsBOS` (and EOS
    ///     at the end when the file's `tokenizer.ggml.add_eos_token` is true), as llama.cpp's
    ///     `tokenize(add_special: true)`.
    ///   - parseSpecial: control and user-defined token texts inside `text` (e.g. `"<|im_start|>"`)
    ///     become their ids, as llama.cpp's `tokenize(parse_special: true)`. When false, control token
    ///     texts are tokenized as plain text (user-defined tokens are still matched, as llama.cpp does).
    func encode(_ text: String, addSpecial: Bool, parseSpecial: Bool) -> [Int32]

    /// The raw bytes `token` stands for when rendered. Control and unknown tokens render as no bytes
    /// unless `renderSpecial`, in which case they render as their text. A single token may hold an
    /// incomplete UTF-8 sequence; `TextStreamDecoder` puts such pieces back together. An id outside
    /// the vocabulary renders as no bytes.
    func bytes(of token: Int32, renderSpecial: Bool) -> [UInt8]

    /// The token's text exactly as stored in the vocabulary (e.g. `"Ġhello"` for a GPT-2 style
    /// vocabulary), for listings such as the CLI's `tokenize`. Empty for an id outside the vocabulary.
    func piece(of token: Int32) -> String

    /// Whether generation should stop at `token`: EOS, EOT and the other end-of-generation tokens
    /// llama.cpp recognises (e.g. `<|im_end|>` and `<|endoftext|>` for ChatML models).
    func isEndOfGeneration(_ token: Int32) -> Bool

    /// The id of the special (control, user-defined or unknown) token whose text is exactly `text`,
    /// e.g. `"<|im_end|>"`; nil when the vocabulary has no such special token.
    func specialToken(_ text: String) -> Int32?
}

extension Tokenizer {
    /// The text of `tokens`, rendered with `bytes(of:renderSpecial:)` and decoded as UTF-8; invalid or
    /// incomplete sequences become U+FFFD. Control tokens are left out unless `renderSpecial`.
    public func decode(_ tokens: [Int32], renderSpecial: Bool = false) -> String {
        var buffer: [UInt8] = []
        for token in tokens { buffer.append(contentsOf: bytes(of: token, renderSpecial: renderSpecial)) }
        return String(decoding: buffer, as: UTF8.self)
    }
}

/// Why a tokenizer could not be built from a GGUF file's metadata.
public enum TokenizerError: Error, CustomStringConvertible, Equatable {
    /// A key the tokenizer needs is absent.
    case missingMetadata(key: String)
    /// A key is present but holds the wrong type or an unusable value.
    case invalidMetadata(key: String, reason: String)
    /// `tokenizer.ggml.model` names a tokenizer Switchyard does not implement.
    case unsupportedModel(String)
    /// `tokenizer.ggml.pre` names a pre-tokenizer Switchyard does not implement.
    case unsupportedPreTokenizer(String)
    /// Entry `index` of `tokenizer.ggml.merges` is not two symbols separated by a space.
    case malformedMerge(index: Int, text: String)

    public var description: String {
        switch self {
        case .missingMetadata(let key):
            return "The model file has no '\(MessageText.printable(key))' entry, which the tokenizer needs."
        case .invalidMetadata(let key, let reason):
            return "The model file's '\(MessageText.printable(key))' entry is unusable: \(MessageText.printable(reason, limit: 240))."
        case .unsupportedModel(let model):
            return "Tokenizer model '\(MessageText.printable(model))' (tokenizer.ggml.model) is not supported; supported: gpt2, llama."
        case .unsupportedPreTokenizer(let pre):
            return "Pre-tokenizer '\(MessageText.printable(pre))' (tokenizer.ggml.pre) is not supported; supported: "
                + BPEPreTokenizer.supportedNames.sorted().joined(separator: ", ") + "."
        case .malformedMerge(let index, let text):
            return "BPE merge #\(index) '\(MessageText.printable(text))' in tokenizer.ggml.merges is not two symbols separated by a space."
        }
    }
}

/// Builds the tokenizer a GGUF file describes.
public enum TokenizerFactory {
    /// The tokenizer for `file`, chosen by its `tokenizer.ggml.model`: `"gpt2"` gives a byte-level
    /// `BPETokenizer`, `"llama"` a `SentencePieceTokenizer`. Throws `TokenizerError` when the model
    /// type or pre-tokenizer is not supported or the vocabulary metadata is missing or malformed.
    public static func make(from file: GGUFFile) throws -> any Tokenizer {
        try make(from: file.metadata)
    }

    /// The tokenizer described by GGUF metadata `metadata` (the keys under `tokenizer.ggml.`).
    public static func make(from metadata: [String: GGUFValue]) throws -> any Tokenizer {
        guard let value = metadata[VocabularyKey.model] else { throw TokenizerError.missingMetadata(key: VocabularyKey.model) }
        guard let model = value.string else {
            throw TokenizerError.invalidMetadata(key: VocabularyKey.model, reason: "expected a string, found \(value.summary)")
        }
        switch model {
        case "gpt2": return try BPETokenizer(metadata: metadata)
        case "llama": return try SentencePieceTokenizer(metadata: metadata)
        default: throw TokenizerError.unsupportedModel(model)
        }
    }
}

/// The GGUF metadata keys of a vocabulary.
enum VocabularyKey {
    static let model = "tokenizer.ggml.model"
    static let pre = "tokenizer.ggml.pre"
    static let tokens = "tokenizer.ggml.tokens"
    static let tokenType = "tokenizer.ggml.token_type"
    static let merges = "tokenizer.ggml.merges"
    static let bos = "tokenizer.ggml.bos_token_id"
    static let eos = "tokenizer.ggml.eos_token_id"
    static let eot = "tokenizer.ggml.eot_token_id"
    static let eom = "tokenizer.ggml.eom_token_id"
    static let fimPad = "tokenizer.ggml.fim_pad_token_id"
    static let fimRep = "tokenizer.ggml.fim_rep_token_id"
    static let fimSep = "tokenizer.ggml.fim_sep_token_id"
    static let addBOS = "tokenizer.ggml.add_bos_token"
    static let addEOS = "tokenizer.ggml.add_eos_token"
}

/// A token's type as `tokenizer.ggml.token_type` stores it (llama.cpp's `llama_token_type`).
enum TokenType: Int32, Sendable {
    case undefined = 0, normal = 1, unknown = 2, control = 3, userDefined = 4, unused = 5, byte = 6

    /// Types whose text `encode(parseSpecial:)` matches verbatim in the input.
    var isSpecial: Bool { self == .control || self == .userDefined || self == .unknown }
}

/// What llama.cpp knows about special tokens beyond the file's explicit ids: the texts by which it
/// recognises end-of-generation and fill-in-the-middle tokens (llama-vocab.cpp, `impl::load`).
enum SpecialTokenTexts {
    /// Texts of tokens that end generation (llama.cpp's `special_eog_ids` text list).
    static let endOfGeneration: Set<String> = [
        "<|eot_id|>", "<|im_end|>", "<|end|>", "<|return|>", "<|call|>", "<|flush|>", "<|calls|>",
        "<end_of_turn>", "<|endoftext|>", "</s>", "<|eom_id|>", "<EOT>", "_<EOT>", "[EOT]", "[EOS]",
        "<|end_of_text|>", "<end_of_utterance>", "<eos>", "<turn|>", "<|tool_response>",
        "<｜end▁of▁sentence｜>", "[e~[",
    ]
    /// Texts of fill-in-the-middle pad, repository and file-separator tokens, which also end generation.
    static let fimPad: Set<String> = ["<|fim_pad|>", "<fim-pad>", "<fim_pad>", "<PAD>", "[PAD]"]
    static let fimRep: Set<String> = ["<|fim_repo|>", "<|repo_name|>", "<fim-repo>", "<REPO>", "<reponame>"]
    static let fimSep: Set<String> = ["<|file_sep|>"]
    /// Texts of fill-in-the-middle prefix, suffix and middle tokens (treated as control tokens).
    static let fimOther: Set<String> = [
        "<|fim_prefix|>", "<fim-prefix>", "<fim_prefix>", "<｜fim▁begin｜>", "<PRE>", "▁<PRE>", "<|code_prefix|>", "<|prefix|>",
        "<|fim_suffix|>", "<fim-suffix>", "<fim_suffix>", "<｜fim▁hole｜>", "<SUF>", "▁<SUF>", "<|code_suffix|>", "<|suffix|>",
        "<|fim_middle|>", "<fim-middle>", "<fim_middle>", "<｜fim▁end｜>", "<MID>", "▁<MID>", "<|code_middle|>", "<|middle|>",
    ]
}

/// One piece of input after special tokens have been cut out: raw text (a byte range of the input's
/// UTF-8) or a special token.
enum TextFragment: Equatable {
    case text(Range<Int>)
    case token(Int32)
}

/// Cuts special-token texts out of an input, as llama.cpp's `tokenizer_st_partition`: special tokens
/// are tried longest text first; each one takes, left to right, every non-overlapping occurrence that
/// lies wholly inside text no longer-text token has already taken. Shared by every tokenizer type.
struct SpecialTokenMatcher: Sendable {
    private struct Candidate: Sendable {
        let id: Int32
        let bytes: [UInt8]
        /// Whether the token is matched only when parsing special tokens (control and unknown tokens);
        /// user-defined tokens are always matched.
        let needsParseSpecial: Bool
        /// Position in llama.cpp's processing order (longest text first).
        let order: Int
    }

    private let byText: [[UInt8]: Candidate]
    /// Distinct text lengths, longest first.
    private let lengths: [Int]
    /// `firstBytes[b]`: whether some special token's text starts with byte b.
    private let firstBytes: [Bool]

    /// The matcher for every token whose attributes (`TokenAttributes` bits, by id) mark it special:
    /// control and unknown tokens match only with parse-special, user-defined tokens always.
    init(attributes: [UInt8], text: (Int32) -> String) {
        var specials: [(id: Int32, text: String, needsParseSpecial: Bool)] = []
        for i in attributes.indices where attributes[i] & TokenAttributes.special != 0 {
            let parseOnly = attributes[i] & (TokenAttributes.control | TokenAttributes.unknown) != 0
            specials.append((Int32(i), text(Int32(i)), parseOnly))
        }
        self.init(specials: specials)
    }

    /// `specials`: the special tokens with their texts and whether they are control/unknown
    /// (matched only with parse-special) rather than user-defined.
    init(specials: [(id: Int32, text: String, needsParseSpecial: Bool)]) {
        // llama.cpp sorts by text length, longest first (ties in an unspecified order; here by id).
        let sorted = specials.filter { !$0.text.isEmpty }.sorted {
            $0.text.utf8.count != $1.text.utf8.count ? $0.text.utf8.count > $1.text.utf8.count : $0.id < $1.id
        }
        var byText: [[UInt8]: Candidate] = [:]
        var first = [Bool](repeating: false, count: 256)
        var lengths = Set<Int>()
        for (order, s) in sorted.enumerated() {
            let bytes = Array(s.text.utf8)
            // A duplicated text maps to the token llama.cpp would try first.
            if byText[bytes] == nil {
                byText[bytes] = Candidate(id: s.id, bytes: bytes, needsParseSpecial: s.needsParseSpecial, order: order)
            }
            first[Int(bytes[0])] = true
            lengths.insert(bytes.count)
        }
        self.byText = byText
        self.lengths = lengths.sorted(by: >)
        firstBytes = first
    }

    /// `utf8` split into raw-text fragments and special tokens, in input order.
    func partition(_ utf8: [UInt8], parseSpecial: Bool) -> [TextFragment] {
        if utf8.isEmpty { return [] }
        // Every occurrence of every eligible special token.
        var occurrences: [(order: Int, start: Int, candidate: Candidate)] = []
        if !byText.isEmpty {
            for start in 0..<utf8.count where firstBytes[Int(utf8[start])] {
                for length in lengths where start + length <= utf8.count {
                    guard let c = byText[Array(utf8[start..<start + length])] else { continue }
                    if c.needsParseSpecial && !parseSpecial { continue }
                    occurrences.append((c.order, start, c))
                }
            }
        }
        if occurrences.isEmpty { return [.text(0..<utf8.count)] }

        // Replay llama.cpp's order: token by token (longest first), left to right, skipping
        // occurrences that overlap bytes already taken or the token's own previous match.
        occurrences.sort { $0.order != $1.order ? $0.order < $1.order : $0.start < $1.start }
        var taken = [Bool](repeating: false, count: utf8.count)
        var matches: [(start: Int, end: Int, id: Int32)] = []
        var currentOrder = -1
        var ownEnd = 0
        for o in occurrences {
            if o.order != currentOrder { currentOrder = o.order; ownEnd = 0 }
            let end = o.start + o.candidate.bytes.count
            guard o.start >= ownEnd, !taken[o.start..<end].contains(true) else { continue }
            for i in o.start..<end { taken[i] = true }
            ownEnd = end
            matches.append((o.start, end, o.candidate.id))
        }
        matches.sort { $0.start < $1.start }

        var fragments: [TextFragment] = []
        var cursor = 0
        for m in matches {
            if m.start > cursor { fragments.append(.text(cursor..<m.start)) }
            fragments.append(.token(m.id))
            cursor = m.end
        }
        if cursor < utf8.count { fragments.append(.text(cursor..<utf8.count)) }
        return fragments
    }
}

/// Reads the special-token ids and flags every GGUF vocabulary carries, as llama.cpp does: a key
/// overrides the default only when it names a token inside the vocabulary.
struct VocabularyMetadata {
    let metadata: [String: GGUFValue]
    let vocabularySize: Int

    func id(_ key: String, default fallback: Int32?) throws -> Int32? {
        var result = fallback.flatMap { $0 >= 0 && Int($0) < vocabularySize ? $0 : nil }
        if let value = metadata[key] {
            guard let v = value.int else {
                throw TokenizerError.invalidMetadata(key: key, reason: "expected an integer, found \(value.summary)")
            }
            if v >= 0 && v < vocabularySize { result = Int32(v) }
        }
        return result
    }

    func flag(_ key: String, default fallback: Bool) throws -> Bool {
        guard let value = metadata[key] else { return fallback }
        guard let b = value.bool else {
            throw TokenizerError.invalidMetadata(key: key, reason: "expected a bool, found \(value.summary)")
        }
        return b
    }

    /// Each token's type (`tokenizer.ggml.token_type`), normal for every token when the key is absent.
    func tokenTypes() throws -> [TokenType] {
        var types = [TokenType](repeating: .normal, count: vocabularySize)
        guard let value = metadata[VocabularyKey.tokenType] else { return types }
        guard let raw = value.intArray else {
            throw TokenizerError.invalidMetadata(key: VocabularyKey.tokenType, reason: "expected an array of integers, found \(value.summary)")
        }
        guard raw.count >= vocabularySize else {
            throw TokenizerError.invalidMetadata(key: VocabularyKey.tokenType, reason: "\(raw.count) types for \(vocabularySize) tokens")
        }
        for i in 0..<vocabularySize { types[i] = TokenType(rawValue: Int32(truncatingIfNeeded: raw[i])) ?? .undefined }
        return types
    }
}
