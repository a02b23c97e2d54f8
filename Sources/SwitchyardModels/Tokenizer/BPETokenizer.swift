/// GPT-2 style byte-level BPE (`tokenizer.ggml.model = "gpt2"`), token for token as llama.cpp's
/// `llm_tokenizer_bpe`:
/// 1. special-token texts are cut out of the input (`SpecialTokenMatcher`);
/// 2. each remaining piece of text is split into words by the pre-tokenizer that
///    `tokenizer.ggml.pre` selects (`BPEPreTokenizer`);
/// 3. each word's UTF-8 bytes are mapped to GPT-2's printable byte characters and merged by
///    `tokenizer.ggml.merges` rank, lowest rank first and leftmost first on ties;
/// 4. each final symbol becomes its vocabulary id.
public final class BPETokenizer: Tokenizer {
    public let vocabularySize: Int
    public let bosToken: Int32?
    public let eosToken: Int32?
    public let addsBOS: Bool
    /// Whether `encode(_:addSpecial: true, ...)` appends EOS (`tokenizer.ggml.add_eos_token`, default false).
    public let addsEOS: Bool
    /// The `tokenizer.ggml.pre` name the tokenizer was built for ("default" when the file has none).
    public let preTokenizerName: String

    let preTokenizer: BPEPreTokenizer
    /// Vocabulary texts, indexed by token id.
    private let texts: [String]
    /// Effective attributes per token (`TokenAttributes` bits).
    private let attributes: [UInt8]
    /// The bytes each token renders as when special tokens are rendered.
    private let rendered: [[UInt8]]
    /// Text → symbol id. Vocabulary texts map to their token id (the last one when a text repeats, as
    /// llama.cpp's `token_to_id`); texts that occur only in merges get ids from `vocabularySize` up.
    private let symbolOfText: [String: Int32]
    /// Texts of the symbols that are not vocabulary tokens, indexed by `id - vocabularySize`.
    private let extraSymbolTexts: [String]
    /// The symbol of each byte's GPT-2 character.
    private let byteSymbol: [Int32]
    /// `left << 32 | right` → `rank << 32 | merged symbol`.
    private let mergeRanks: [UInt64: UInt64]
    private let endOfGeneration: Set<Int32>
    private let matcher: SpecialTokenMatcher

    /// Builds the tokenizer from GGUF metadata: `tokenizer.ggml.tokens`, `.merges`, `.pre`, and
    /// optionally `.token_type`, `.bos_token_id`, `.eos_token_id`, `.add_bos_token`, `.add_eos_token`,
    /// `.eot_token_id`, `.eom_token_id`, `.fim_{pad,rep,sep}_token_id`.
    /// Throws `TokenizerError` for missing or mistyped keys, an unknown pre-tokenizer, or a merge that
    /// is not two symbols separated by a space.
    public init(metadata: [String: GGUFValue]) throws {
        if let model = metadata[VocabularyKey.model]?.string, model != "gpt2" {
            throw TokenizerError.unsupportedModel(model)
        }

        // Pre-tokenizer (llama.cpp falls back to "default" when the key is missing).
        let preName: String
        if let value = metadata[VocabularyKey.pre] {
            guard let s = value.string else {
                throw TokenizerError.invalidMetadata(key: VocabularyKey.pre, reason: "expected a string, found \(value.summary)")
            }
            preName = s.isEmpty ? "default" : s
        } else {
            preName = "default"
        }
        guard let pre = BPEPreTokenizer(name: preName) else { throw TokenizerError.unsupportedPreTokenizer(preName) }
        preTokenizer = pre
        preTokenizerName = preName

        // Vocabulary.
        guard let tokenValue = metadata[VocabularyKey.tokens] else { throw TokenizerError.missingMetadata(key: VocabularyKey.tokens) }
        guard let tokenItems = tokenValue.stringArray else {
            throw TokenizerError.invalidMetadata(key: VocabularyKey.tokens, reason: "expected an array of strings, found \(tokenValue.summary)")
        }
        guard tokenItems.count <= Int(Int32.max) else {
            throw TokenizerError.invalidMetadata(key: VocabularyKey.tokens, reason: "\(tokenItems.count) tokens do not fit 32-bit ids")
        }
        let n = tokenItems.count
        var texts: [String] = []
        texts.reserveCapacity(n)
        for (i, item) in tokenItems.enumerated() {
            let text = item
            texts.append(text.isEmpty ? "[EMPTY_\(i)]" : text)   // as llama.cpp
        }
        vocabularySize = n

        let vocabulary = VocabularyMetadata(metadata: metadata, vocabularySize: n)
        let types = try vocabulary.tokenTypes()

        // Symbols: vocabulary texts first, so a vocabulary text's symbol is its token id.
        var symbolOfText: [String: Int32] = [:]
        symbolOfText.reserveCapacity(n + 512)
        for (i, text) in texts.enumerated() { symbolOfText[text] = Int32(i) }
        var extraTexts: [String] = []
        func intern(_ text: String) -> Int32 {
            if let id = symbolOfText[text] { return id }
            let id = Int32(n + extraTexts.count)
            extraTexts.append(text)
            symbolOfText[text] = id
            return id
        }
        let byteSymbol = (0..<256).map { intern(String(Character(GPT2ByteMap.character(of: UInt8($0))))) }

        // Merges: "left right", split at the first space after the first byte (as llama.cpp).
        guard let mergeValue = metadata[VocabularyKey.merges] else { throw TokenizerError.missingMetadata(key: VocabularyKey.merges) }
        guard let mergeItems = mergeValue.stringArray else {
            throw TokenizerError.invalidMetadata(key: VocabularyKey.merges, reason: "expected an array of strings, found \(mergeValue.summary)")
        }
        var mergeRanks: [UInt64: UInt64] = [:]
        mergeRanks.reserveCapacity(mergeItems.count)
        for (rank, item) in mergeItems.enumerated() {
            let merge = item
            let utf8 = Array(merge.utf8)
            guard utf8.count >= 3, let space = utf8[1...].firstIndex(of: 0x20), space + 1 < utf8.count else {
                throw TokenizerError.malformedMerge(index: rank, text: merge)
            }
            let leftText = String(decoding: utf8[..<space], as: UTF8.self)
            let rightText = String(decoding: utf8[(space + 1)...], as: UTF8.self)
            let left = intern(leftText), right = intern(rightText)
            let merged = intern(leftText + rightText)
            let key = UInt64(UInt32(bitPattern: left)) << 32 | UInt64(UInt32(bitPattern: right))
            if mergeRanks[key] == nil {   // the first rank wins, as llama.cpp's bpe_ranks.emplace
                mergeRanks[key] = UInt64(rank) << 32 | UInt64(UInt32(bitPattern: merged))
            }
        }
        self.symbolOfText = symbolOfText
        self.extraSymbolTexts = extraTexts
        self.byteSymbol = byteSymbol
        self.mergeRanks = mergeRanks

        // Special ids: llama.cpp's defaults for gpt2 vocabularies are BOS = EOS = 11; a key overrides
        // them when it names a token inside the vocabulary.
        bosToken = try vocabulary.id(VocabularyKey.bos, default: 11)
        eosToken = try vocabulary.id(VocabularyKey.eos, default: 11)
        addsBOS = try vocabulary.flag(VocabularyKey.addBOS, default: false)
        addsEOS = try vocabulary.flag(VocabularyKey.addEOS, default: false)

        // Attributes, with llama.cpp's text-based overrides: end-of-generation and fill-in-the-middle
        // tokens are control tokens even when the file says otherwise.
        var attributes = types.map { TokenAttributes.of($0) }
        let byText = symbolOfText
        func firstID(in textsToFind: Set<String>) -> Int32? {
            textsToFind.compactMap { byText[$0] }.filter { Int($0) < n }.min()
        }
        let eot = try vocabulary.id(VocabularyKey.eot, default: nil) ?? firstID(in: SpecialTokenTexts.endOfGeneration)
        let eom = try vocabulary.id(VocabularyKey.eom, default: nil) ?? firstID(in: ["<|eom_id|>"])
        let fimPad = try vocabulary.id(VocabularyKey.fimPad, default: nil) ?? firstID(in: SpecialTokenTexts.fimPad)
        let fimRep = try vocabulary.id(VocabularyKey.fimRep, default: nil) ?? firstID(in: SpecialTokenTexts.fimRep)
        let fimSep = try vocabulary.id(VocabularyKey.fimSep, default: nil) ?? firstID(in: SpecialTokenTexts.fimSep)
        var eog = Set([fimPad, fimRep, fimSep, eosToken, eot, eom].compactMap { $0 })
        let controlTexts = SpecialTokenTexts.endOfGeneration.union(SpecialTokenTexts.fimPad)
            .union(SpecialTokenTexts.fimRep).union(SpecialTokenTexts.fimSep).union(SpecialTokenTexts.fimOther)
        for text in controlTexts {
            guard let t = byText[text], Int(t) < n else { continue }
            attributes[Int(t)] |= TokenAttributes.control
            if SpecialTokenTexts.endOfGeneration.contains(text) { eog.insert(t) }
        }
        for t in [fimPad, fimRep, fimSep, eot, eom].compactMap({ $0 }) { attributes[Int(t)] |= TokenAttributes.control }
        endOfGeneration = eog
        self.attributes = attributes
        self.texts = texts

        rendered = (0..<n).map { BPETokenizer.render(texts[$0], attributes: attributes[$0]) }

        matcher = SpecialTokenMatcher(attributes: attributes, text: { texts[Int($0)] })
    }

    // MARK: Tokenizer

    public func encode(_ text: String, addSpecial: Bool, parseSpecial: Bool) -> [Int32] {
        var output: [Int32] = []
        if addSpecial, addsBOS, let bos = bosToken { output.append(bos) }
        let utf8 = Array(text.utf8)
        var scratch = MergeScratch()
        for fragment in matcher.partition(utf8, parseSpecial: parseSpecial) {
            switch fragment {
            case .token(let id): output.append(id)
            case .text(let range): encode(utf8[range], into: &output, scratch: &scratch)
            }
        }
        if addSpecial, addsEOS, let eos = eosToken { output.append(eos) }
        return output
    }

    public func bytes(of token: Int32, renderSpecial: Bool) -> [UInt8] {
        guard token >= 0, Int(token) < vocabularySize else { return [] }
        let hiddenUnlessSpecial = TokenAttributes.control | TokenAttributes.unknown
        if !renderSpecial && attributes[Int(token)] & hiddenUnlessSpecial != 0 { return [] }
        return rendered[Int(token)]
    }

    public func piece(of token: Int32) -> String {
        guard token >= 0, Int(token) < vocabularySize else { return "" }
        return texts[Int(token)]
    }

    public func isEndOfGeneration(_ token: Int32) -> Bool { endOfGeneration.contains(token) }

    public func specialToken(_ text: String) -> Int32? {
        guard let id = symbolOfText[text], Int(id) < vocabularySize,
              attributes[Int(id)] & TokenAttributes.special != 0 else { return nil }
        return id
    }

    /// The ids of every end-of-generation token, ascending.
    public var endOfGenerationTokens: [Int32] { endOfGeneration.sorted() }

    // MARK: Encoding

    /// Pre-tokenizes one piece of raw text (`utf8` is valid UTF-8) and appends the BPE tokens of
    /// each word.
    private func encode(_ utf8: ArraySlice<UInt8>, into output: inout [Int32], scratch: inout MergeScratch) {
        // Decode scalars, keeping each one's byte offset (the input is known to be valid UTF-8).
        var scalars: [UInt32] = []
        var offsets: [Int] = []
        scalars.reserveCapacity(utf8.count)
        offsets.reserveCapacity(utf8.count + 1)
        var i = utf8.startIndex
        while i < utf8.endIndex {
            let b0 = UInt32(utf8[i])
            offsets.append(i)
            if b0 < 0x80 {
                scalars.append(b0); i += 1
            } else if b0 < 0xE0 {
                scalars.append((b0 & 0x1F) << 6 | UInt32(utf8[i + 1] & 0x3F)); i += 2
            } else if b0 < 0xF0 {
                scalars.append((b0 & 0x0F) << 12 | UInt32(utf8[i + 1] & 0x3F) << 6 | UInt32(utf8[i + 2] & 0x3F)); i += 3
            } else {
                scalars.append((b0 & 0x07) << 18 | UInt32(utf8[i + 1] & 0x3F) << 12
                               | UInt32(utf8[i + 2] & 0x3F) << 6 | UInt32(utf8[i + 3] & 0x3F)); i += 4
            }
        }
        offsets.append(utf8.endIndex)

        for word in preTokenizer.split(scalars) {
            merge(utf8[offsets[word.lowerBound]..<offsets[word.upperBound]], into: &output, scratch: &scratch)
        }
    }

    /// Applies the merges to one word's bytes, lowest rank first, leftmost first among equal ranks
    /// (llama.cpp's `llm_bigram_bpe` queue), and appends the resulting tokens.
    private func merge(_ word: ArraySlice<UInt8>, into output: inout [Int32], scratch s: inout MergeScratch) {
        let count = word.count
        if count == 0 { return }
        s.symbol.removeAll(keepingCapacity: true)
        s.prev.removeAll(keepingCapacity: true)
        s.next.removeAll(keepingCapacity: true)
        s.queue.removeAll()
        for (k, byte) in word.enumerated() {
            s.symbol.append(byteSymbol[Int(byte)])
            s.prev.append(Int32(k - 1))
            s.next.append(k + 1 < count ? Int32(k + 1) : -1)
        }
        if count > 1 {
            for k in 1..<count { pushBigram(left: Int32(k - 1), right: Int32(k), scratch: &s) }
            while let bigram = s.queue.popFirst() {
                let left = Int(bigram.left), right = Int(bigram.right)
                // Skip a bigram that an earlier merge made stale (either side changed or vanished).
                guard s.symbol[left] == bigram.leftSymbol, s.symbol[right] == bigram.rightSymbol else { continue }
                s.symbol[left] = bigram.merged
                s.symbol[right] = -1
                let after = s.next[right]
                s.next[left] = after
                if after >= 0 { s.prev[Int(after)] = bigram.left }
                pushBigram(left: s.prev[left], right: bigram.left, scratch: &s)
                pushBigram(left: bigram.left, right: after, scratch: &s)
            }
        }
        for k in 0..<count {
            let symbol = s.symbol[k]
            if symbol < 0 { continue }
            if Int(symbol) < vocabularySize {
                output.append(symbol)
            } else {
                // Not a vocabulary token: llama.cpp falls back to the single-byte tokens of its text.
                for byte in extraSymbolTexts[Int(symbol) - vocabularySize].utf8 where byte < 0x80 {
                    if let t = symbolOfText[String(UnicodeScalar(byte))], Int(t) < vocabularySize { output.append(t) }
                }
            }
        }
    }

    private func pushBigram(left: Int32, right: Int32, scratch s: inout MergeScratch) {
        guard left >= 0, right >= 0 else { return }
        let l = s.symbol[Int(left)], r = s.symbol[Int(right)]
        guard let entry = mergeRanks[UInt64(UInt32(bitPattern: l)) << 32 | UInt64(UInt32(bitPattern: r))] else { return }
        s.queue.push(Bigram(key: (entry >> 32) << 32 | UInt64(UInt32(bitPattern: left)), right: right,
                            leftSymbol: l, rightSymbol: r, merged: Int32(truncatingIfNeeded: entry)))
    }

    // MARK: Rendering

    /// The bytes a token renders as when special tokens are shown: special tokens their text, normal
    /// tokens their GPT-2 characters mapped back to bytes, byte tokens `<0xXX>` their byte, unused and
    /// undefined tokens nothing (llama.cpp's `token_to_piece`).
    private static func render(_ text: String, attributes: UInt8) -> [UInt8] {
        if attributes & TokenAttributes.special != 0 { return Array(text.utf8) }
        if attributes & TokenAttributes.normal != 0 {
            var out: [UInt8] = []
            out.reserveCapacity(text.utf8.count)
            for scalar in text.unicodeScalars {
                if let byte = GPT2ByteMap.byte(of: scalar) {
                    out.append(byte)
                } else {
                    // llama.cpp's llama_decode_text marks a character outside the byte map this way.
                    out.append(contentsOf: Array("[UNK_BYTE_0x".utf8))
                    for b in String(scalar).utf8 { out.append(contentsOf: Array(hex2(b).utf8)) }
                    out.append(contentsOf: Array(text.utf8))
                    out.append(contentsOf: Array("]".utf8))
                }
            }
            return out
        }
        if attributes & TokenAttributes.byte != 0 {
            let utf8 = Array(text.utf8)
            if utf8.count >= 5, let v = UInt8(String(decoding: utf8[3..<5], as: UTF8.self), radix: 16) { return [v] }
            return []
        }
        return []
    }

    private static func hex2(_ b: UInt8) -> String {
        let digits = Array("0123456789abcdef".utf8)
        return String(decoding: [digits[Int(b >> 4)], digits[Int(b & 15)]], as: UTF8.self)
    }
}

/// llama.cpp's token attributes as bits (a subset of `llama_token_attr`).
enum TokenAttributes {
    static let normal: UInt8 = 1 << 0
    static let unknown: UInt8 = 1 << 1
    static let control: UInt8 = 1 << 2
    static let userDefined: UInt8 = 1 << 3
    static let unused: UInt8 = 1 << 4
    static let byte: UInt8 = 1 << 5
    /// Matched verbatim by the special-token partition.
    static let special: UInt8 = unknown | control | userDefined

    static func of(_ type: TokenType) -> UInt8 {
        switch type {
        case .normal: return normal
        case .unknown: return unknown
        case .control: return control
        case .userDefined: return userDefined
        case .unused: return unused
        case .byte: return byte
        case .undefined: return 0
        }
    }
}

/// GPT-2's reversible map between bytes and printable characters: the printable Latin-1 bytes
/// (`!`...`~`, `¡`...`¬`, `®`...`ÿ`) stand for themselves, the other 68 bytes for U+0100 upwards.
enum GPT2ByteMap {
    /// The character code of each byte.
    static let characters: [UInt32] = {
        var table = [UInt32](repeating: 0, count: 256)
        var next: UInt32 = 256
        for b in 0..<256 {
            if (0x21...0x7E).contains(b) || (0xA1...0xAC).contains(b) || (0xAE...0xFF).contains(b) {
                table[b] = UInt32(b)
            } else {
                table[b] = next
                next += 1
            }
        }
        return table
    }()

    /// Byte for each character code below 324, or -1.
    static let bytes: [Int16] = {
        var table = [Int16](repeating: -1, count: 324)
        for (b, c) in characters.enumerated() { table[Int(c)] = Int16(b) }
        return table
    }()

    static func character(of byte: UInt8) -> Unicode.Scalar { Unicode.Scalar(characters[Int(byte)])! }

    static func byte(of scalar: Unicode.Scalar) -> UInt8? {
        let v = Int(scalar.value)
        guard v < bytes.count, bytes[v] >= 0 else { return nil }
        return UInt8(bytes[v])
    }
}

/// Per-call working storage of the merge loop, reused across the words of one `encode`.
private struct MergeScratch {
    var symbol: [Int32] = []
    var prev: [Int32] = []
    var next: [Int32] = []
    var queue = MergeQueue<Bigram>()
}

/// A candidate merge of two adjacent symbols.
private struct Bigram: MergeCandidate {
    /// `rank << 32 | left`: the queue pops the lowest rank, then the leftmost position.
    let key: UInt64
    let right: Int32
    /// The symbols on each side when the bigram was queued; a mismatch later means it is stale.
    let leftSymbol: Int32
    let rightSymbol: Int32
    let merged: Int32
    var left: Int32 { Int32(truncatingIfNeeded: key & 0xFFFF_FFFF) }
    func precedes(_ other: Bigram) -> Bool { key < other.key }
}

/// How a GPT-2 style vocabulary splits text into words before BPE: the regex splits of llama.cpp's
/// `llm_tokenizer_bpe` for each `tokenizer.ggml.pre`, written out by hand over Unicode general
/// categories. Each step splits every piece the previous step left; a regex step keeps both its
/// matches and the text between them as pieces.
enum BPEPreTokenizer: Sendable {
    /// `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)` (llama.cpp's GPT2 type).
    case gpt2
    /// `\p{N}` (every number character alone), then the GPT-2 split (llama.cpp's STARCODER, SMOLLM,
    /// REFACT, COMMAND_R, CODESHELL, EXAONE, MINERVA, MELLUM2 types).
    case digitsThenGPT2
    /// llama.cpp's DEFAULT type: `[\p{P}\$\+<=>\^~\|]+`, then the GPT-2 split, then `\p{N}+`, then
    /// `[0-9][0-9][0-9]`.
    case llamaDefault

    private static let byName: [String: BPEPreTokenizer] = [
        "default": .llamaDefault,
        "gpt-2": .gpt2, "phi-2": .gpt2, "mpt": .gpt2, "olmo": .gpt2, "jais": .gpt2, "gigachat": .gpt2,
        "a.x-4.0": .gpt2, "mellum": .gpt2, "roberta-bpe": .gpt2, "exaone4": .gpt2, "trillion": .gpt2,
        "granite-docling": .gpt2,
        "smollm": .digitsThenGPT2, "starcoder": .digitsThenGPT2, "refact": .digitsThenGPT2,
        "command-r": .digitsThenGPT2, "codeshell": .digitsThenGPT2, "exaone": .digitsThenGPT2,
        "minerva-7b": .digitsThenGPT2, "mellum2": .digitsThenGPT2,
    ]

    /// The `tokenizer.ggml.pre` names this file implements.
    static var supportedNames: [String] { Array(byName.keys) }

    /// The pre-tokenizer llama.cpp uses for `tokenizer.ggml.pre` = `name`, if implemented.
    init?(name: String) {
        guard let p = BPEPreTokenizer.byName[name] else { return nil }
        self = p
    }

    /// The words of `scalars` as index ranges, in order, covering every scalar.
    func split(_ scalars: [UInt32]) -> [Range<Int>] {
        if scalars.isEmpty { return [] }
        let classes = scalars.map(ScalarClass.of)
        var pieces = [0..<scalars.count]
        switch self {
        case .gpt2:
            pieces = Self.gpt2(pieces, scalars, classes)
        case .digitsThenGPT2:
            pieces = Self.isolate(pieces) { i, _ in classes[i] & ScalarClass.number != 0 ? i + 1 : nil }
            pieces = Self.gpt2(pieces, scalars, classes)
        case .llamaDefault:
            pieces = Self.isolate(pieces) { i, end in
                var j = i
                while j < end && classes[j] & ScalarClass.defaultPunctuation != 0 { j += 1 }
                return j > i ? j : nil
            }
            pieces = Self.gpt2(pieces, scalars, classes)
            pieces = Self.isolate(pieces) { i, end in
                var j = i
                while j < end && classes[j] & ScalarClass.number != 0 { j += 1 }
                return j > i ? j : nil
            }
            pieces = Self.isolate(pieces) { i, end in
                let isDigit = { (k: Int) in scalars[k] >= 0x30 && scalars[k] <= 0x39 }
                return i + 3 <= end && isDigit(i) && isDigit(i + 1) && isDigit(i + 2) ? i + 3 : nil
            }
        }
        return pieces
    }

    /// A regex step: in each piece, the leftmost match is found, then the next one after it, and so
    /// on (`std::regex_iterator`); matches and the text between them become pieces.
    /// `match(i, end)` returns where a match starting at i ends, or nil when none starts there.
    private static func isolate(_ pieces: [Range<Int>], match: (Int, Int) -> Int?) -> [Range<Int>] {
        var out: [Range<Int>] = []
        out.reserveCapacity(pieces.count)
        for piece in pieces {
            var gapStart = piece.lowerBound
            var i = piece.lowerBound
            while i < piece.upperBound {
                if let end = match(i, piece.upperBound) {
                    if i > gapStart { out.append(gapStart..<i) }
                    out.append(i..<end)
                    i = end
                    gapStart = end
                } else {
                    i += 1
                }
            }
            if piece.upperBound > gapStart { out.append(gapStart..<piece.upperBound) }
        }
        return out
    }

    /// The GPT-2 split, as llama.cpp's `unicode_regex_split_custom_gpt2`:
    /// `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+` within each piece.
    private static func gpt2(_ pieces: [Range<Int>], _ cps: [UInt32], _ classes: [UInt8]) -> [Range<Int>] {
        let letter = ScalarClass.letter, number = ScalarClass.number, space = ScalarClass.whitespace
        var out: [Range<Int>] = []
        out.reserveCapacity(pieces.count * 2)
        for piece in pieces {
            let end = piece.upperBound
            // Outside the piece a position has no class at all (not even "other").
            func flags(_ p: Int) -> UInt8 { p < end ? classes[p] : 0 }
            var pos = piece.lowerBound
            var wordStart = pos
            func emit(_ e: Int) {
                if e > wordStart { out.append(wordStart..<e) }
                wordStart = e
            }
            while pos < end {
                let c = cps[pos]
                // 's 't 're 've 'm 'll 'd (lowercase only)
                if c == 0x27 && pos + 1 < end {
                    let c1 = cps[pos + 1]
                    if c1 == 0x73 || c1 == 0x74 || c1 == 0x6D || c1 == 0x64 {   // s t m d
                        pos += 2; emit(pos); continue
                    }
                    if pos + 2 < end {
                        let c2 = cps[pos + 2]
                        if (c1 == 0x72 && c2 == 0x65) || (c1 == 0x76 && c2 == 0x65) || (c1 == 0x6C && c2 == 0x6C) {  // re ve ll
                            pos += 3; emit(pos); continue
                        }
                    }
                }
                var f = c == 0x20 ? flags(pos + 1) : classes[pos]
                //  ?\p{L}+
                if f & letter != 0 {
                    if c == 0x20 { pos += 1 }
                    while f & letter != 0 { pos += 1; f = flags(pos) }
                    emit(pos); continue
                }
                //  ?\p{N}+
                if f & number != 0 {
                    if c == 0x20 { pos += 1 }
                    while f & number != 0 { pos += 1; f = flags(pos) }
                    emit(pos); continue
                }
                //  ?[^\s\p{L}\p{N}]+
                if f & (space | letter | number) == 0 && f != 0 {
                    if c == 0x20 { pos += 1 }
                    while f & (space | letter | number) == 0 && f != 0 { pos += 1; f = flags(pos) }
                    emit(pos); continue
                }
                var spaces = 0
                while flags(pos + spaces) & space != 0 { spaces += 1 }
                // \s+(?!\S): a run of spaces followed by more text leaves its last space to that text.
                if spaces > 1 && pos + spaces < end {
                    pos += spaces - 1; emit(pos); continue
                }
                // \s+
                if spaces > 0 {
                    pos += spaces; emit(pos); continue
                }
                pos += 1; emit(pos)
            }
        }
        return out
    }
}

/// The character classes the pre-tokenizers test, as bits, from Unicode general categories and
/// llama.cpp's whitespace set.
enum ScalarClass {
    /// Set for every character (so a class is never 0 inside the text).
    static let any: UInt8 = 1
    /// `\p{L}`: Lu, Ll, Lt, Lm, Lo.
    static let letter: UInt8 = 2
    /// `\p{N}`: Nd, Nl, No.
    static let number: UInt8 = 4
    /// `\s`: llama.cpp's `unicode_set_whitespace` (Unicode White_Space).
    static let whitespace: UInt8 = 8
    /// `[\p{P}\$\+<=>\^~\|]`: punctuation (not whitespace) and the ASCII symbols $ + < = > ^ ~ |.
    static let defaultPunctuation: UInt8 = 16

    private static let ascii: [UInt8] = (0..<128).map { compute(UInt32($0)) }

    static func of(_ v: UInt32) -> UInt8 { v < 128 ? ascii[Int(v)] : compute(v) }

    private static func compute(_ v: UInt32) -> UInt8 {
        guard let scalar = Unicode.Scalar(v) else { return any }
        if isWhitespace(v) { return any | whitespace }
        switch scalar.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter:
            return any | letter
        case .decimalNumber, .letterNumber, .otherNumber:
            return any | number
        case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation,
             .initialPunctuation, .finalPunctuation, .otherPunctuation:
            return any | defaultPunctuation
        default:
            switch v {
            case 0x24, 0x2B, 0x3C, 0x3D, 0x3E, 0x5E, 0x7E, 0x7C: return any | defaultPunctuation   // $ + < = > ^ ~ |
            default: return any
            }
        }
    }

    private static func isWhitespace(_ v: UInt32) -> Bool {
        switch v {
        case 0x09...0x0D, 0x20, 0x85, 0xA0, 0x1680, 0x2000...0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000: return true
        default: return false
        }
    }
}
