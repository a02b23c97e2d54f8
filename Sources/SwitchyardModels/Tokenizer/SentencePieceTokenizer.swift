/// SentencePiece vocabularies (`tokenizer.ggml.model = "llama"`: Llama 1/2, Mistral, Gemma), token for
/// token as llama.cpp's `llm_tokenizer_spm`:
/// 1. special-token texts are cut out of the input (`SpecialTokenMatcher`): control and unknown tokens
///    only with parse-special, user-defined tokens (Gemma's `"\n\n"`, `"<b>"`, ...) always;
/// 2. each remaining piece of text gets a leading space when `tokenizer.ggml.add_space_prefix` is true
///    and the piece starts the input or follows a special token, and every space becomes `▁` (U+2581);
/// 3. the piece is split into UTF-8 characters, and adjacent symbols are merged while their
///    concatenation is a vocabulary token: the pair whose token has the highest
///    `tokenizer.ggml.scores` entry first, the leftmost first among equal scores;
/// 4. each final symbol becomes its token or, when it is no token (a single character outside the
///    vocabulary), one `<0xXX>` byte token per UTF-8 byte.
///
/// Rendering reverses it: normal tokens with `▁` turned back into spaces, byte tokens as their byte,
/// user-defined tokens as their text, control and unknown tokens as their text only when asked.
public final class SentencePieceTokenizer: Tokenizer {
    public let vocabularySize: Int
    public let bosToken: Int32?
    public let eosToken: Int32?
    /// The unknown token (`tokenizer.ggml.unknown_token_id`, default 0 as llama.cpp).
    public let unknownToken: Int32?
    public let addsBOS: Bool
    /// Whether `encode(_:addSpecial: true, ...)` appends EOS (`tokenizer.ggml.add_eos_token`, default false).
    public let addsEOS: Bool
    /// Whether a space is put in front of text that starts the input or follows a special token
    /// (`tokenizer.ggml.add_space_prefix`, default true as llama.cpp for SentencePiece; Gemma: false).
    public let addsSpacePrefix: Bool

    /// Token texts and the text → id lookup.
    private let table: TokenTextTable
    /// `tokenizer.ggml.scores`, indexed by token id: a higher score merges first.
    private let scores: [Float]
    /// Effective attributes per token (`TokenAttributes` bits).
    private let attributes: [UInt8]
    /// The token of each byte for byte fallback (`<0xXX>`, else the one-byte text), or -1.
    private let byteToken: [Int32]
    private let endOfGeneration: Set<Int32>
    private let matcher: SpecialTokenMatcher

    /// Builds the tokenizer from GGUF metadata: `tokenizer.ggml.tokens`, and optionally `.scores`
    /// (default 0 for every token), `.token_type` (default normal), `.bos_token_id` (default 1),
    /// `.eos_token_id` (default 2), `.unknown_token_id` (default 0), `.add_bos_token` (default true),
    /// `.add_eos_token` (default false), `.add_space_prefix` (default true), `.eot_token_id`,
    /// `.eom_token_id`, `.fim_{pad,rep,sep}_token_id`.
    /// Throws `TokenizerError` when the model type is not `"llama"`, the token list is missing, or a
    /// key holds the wrong type or too few entries.
    public init(metadata: [String: GGUFValue]) throws {
        if let model = metadata[VocabularyKey.model]?.string, model != "llama" {
            throw TokenizerError.unsupportedModel(model)
        }

        // Vocabulary.
        guard let tokenValue = metadata[VocabularyKey.tokens] else { throw TokenizerError.missingMetadata(key: VocabularyKey.tokens) }
        guard let tokenItems = tokenValue.stringArray else {
            throw TokenizerError.invalidMetadata(key: VocabularyKey.tokens, reason: "expected an array of strings, found \(tokenValue.summary)")
        }
        guard tokenItems.count <= Int(Int32.max) else {
            throw TokenizerError.invalidMetadata(key: VocabularyKey.tokens, reason: "\(tokenItems.count) tokens do not fit 32-bit ids")
        }
        let n = tokenItems.count
        vocabularySize = n
        let table = TokenTextTable(tokenItems)
        self.table = table

        var scores = [Float](repeating: 0, count: n)
        if let scoreValue = metadata[SentencePieceKey.scores] {
            guard let raw = scoreValue.floatArray else {
                throw TokenizerError.invalidMetadata(key: SentencePieceKey.scores, reason: "expected an array of numbers, found \(scoreValue.summary)")
            }
            guard raw.count >= n else {
                throw TokenizerError.invalidMetadata(key: SentencePieceKey.scores, reason: "\(raw.count) scores for \(n) tokens")
            }
            scores = raw.count == n ? raw : Array(raw[0..<n])
        }
        self.scores = scores

        let vocabulary = VocabularyMetadata(metadata: metadata, vocabularySize: n)
        let types = try vocabulary.tokenTypes()

        // Special ids: llama.cpp's defaults for SentencePiece vocabularies are BOS 1, EOS 2, UNK 0; a
        // key overrides them when it names a token inside the vocabulary.
        bosToken = try vocabulary.id(VocabularyKey.bos, default: 1)
        eosToken = try vocabulary.id(VocabularyKey.eos, default: 2)
        unknownToken = try vocabulary.id(SentencePieceKey.unknown, default: 0)
        addsBOS = try vocabulary.flag(VocabularyKey.addBOS, default: true)
        addsEOS = try vocabulary.flag(VocabularyKey.addEOS, default: false)
        addsSpacePrefix = try vocabulary.flag(SentencePieceKey.addSpacePrefix, default: true)

        // Attributes, with llama.cpp's text-based overrides: end-of-generation and fill-in-the-middle
        // tokens are control tokens even when the file says otherwise (Gemma's user-defined "</s>").
        var attributes = types.map { TokenAttributes.of($0) }
        func firstID(in textsToFind: Set<String>) -> Int32? { textsToFind.compactMap { table.id(of: $0) }.min() }
        let eot = try vocabulary.id(VocabularyKey.eot, default: nil) ?? firstID(in: SpecialTokenTexts.endOfGeneration)
        let eom = try vocabulary.id(VocabularyKey.eom, default: nil) ?? firstID(in: ["<|eom_id|>"])
        let fimPad = try vocabulary.id(VocabularyKey.fimPad, default: nil) ?? firstID(in: SpecialTokenTexts.fimPad)
        let fimRep = try vocabulary.id(VocabularyKey.fimRep, default: nil) ?? firstID(in: SpecialTokenTexts.fimRep)
        let fimSep = try vocabulary.id(VocabularyKey.fimSep, default: nil) ?? firstID(in: SpecialTokenTexts.fimSep)
        var eog = Set([fimPad, fimRep, fimSep, eosToken, eot, eom].compactMap { $0 })
        let controlTexts = SpecialTokenTexts.endOfGeneration.union(SpecialTokenTexts.fimPad)
            .union(SpecialTokenTexts.fimRep).union(SpecialTokenTexts.fimSep).union(SpecialTokenTexts.fimOther)
        for text in controlTexts {
            guard let t = table.id(of: text) else { continue }
            attributes[Int(t)] |= TokenAttributes.control
            if SpecialTokenTexts.endOfGeneration.contains(text) { eog.insert(t) }
        }
        for t in [fimPad, fimRep, fimSep, eot, eom].compactMap({ $0 }) { attributes[Int(t)] |= TokenAttributes.control }
        endOfGeneration = eog
        self.attributes = attributes

        // Byte fallback: "<0xXX>" (upper-case hex), else the byte itself as a one-byte token.
        let hex = Array("0123456789ABCDEF".utf8)
        byteToken = (0..<256).map { b in
            let name: [UInt8] = [0x3C, 0x30, 0x78, hex[b >> 4], hex[b & 15], 0x3E]   // <0xXX>
            return table.id(of: name[...]) ?? table.id(of: [UInt8(b)][...]) ?? -1
        }

        matcher = SpecialTokenMatcher(attributes: attributes, text: { table.text(of: $0) })
    }

    // MARK: Tokenizer

    public func encode(_ text: String, addSpecial: Bool, parseSpecial: Bool) -> [Int32] {
        var output: [Int32] = []
        if addSpecial, addsBOS, let bos = bosToken { output.append(bos) }
        let utf8 = Array(text.utf8)
        var session = MergeSession()
        // The input's start counts as "after a special token" for the space prefix.
        var afterSpecial = true
        for fragment in matcher.partition(utf8, parseSpecial: parseSpecial) {
            switch fragment {
            case .token(let id):
                output.append(id)
                afterSpecial = true
            case .text(let range):
                encode(utf8[range], spacePrefix: addsSpacePrefix && afterSpecial, into: &output, session: &session)
                afterSpecial = false
            }
        }
        if addSpecial, addsEOS, let eos = eosToken { output.append(eos) }
        return output
    }

    /// The bytes a token renders as (llama.cpp's `token_to_piece` for SentencePiece): control and
    /// unknown tokens nothing unless `renderSpecial`, then their text; user-defined tokens their text;
    /// normal tokens their text with `▁` as a space; byte tokens `<0xXX>` their byte; unused and
    /// undefined tokens nothing.
    public func bytes(of token: Int32, renderSpecial: Bool) -> [UInt8] {
        guard token >= 0, Int(token) < vocabularySize else { return [] }
        let attributes = self.attributes[Int(token)]
        if !renderSpecial && attributes & (TokenAttributes.control | TokenAttributes.unknown) != 0 { return [] }
        let text = table.bytes(of: token)
        if attributes & TokenAttributes.special != 0 { return Array(text) }
        if attributes & TokenAttributes.normal != 0 { return Self.unescapeWhitespace(text) }
        if attributes & TokenAttributes.byte != 0 { return [Self.byteValue(text)] }
        return []
    }

    public func piece(of token: Int32) -> String {
        guard token >= 0, Int(token) < vocabularySize else { return "" }
        return table.text(of: token)
    }

    public func isEndOfGeneration(_ token: Int32) -> Bool { endOfGeneration.contains(token) }

    public func specialToken(_ text: String) -> Int32? {
        guard let id = table.id(of: text), attributes[Int(id)] & TokenAttributes.special != 0 else { return nil }
        return id
    }

    /// The ids of every end-of-generation token, ascending.
    public var endOfGenerationTokens: [Int32] { endOfGeneration.sorted() }

    /// The score of `token` (`tokenizer.ggml.scores`); 0 for an id outside the vocabulary.
    public func score(of token: Int32) -> Float {
        guard token >= 0, Int(token) < vocabularySize else { return 0 }
        return scores[Int(token)]
    }

    // MARK: Encoding

    /// Tokenizes one piece of raw text (`utf8` is valid UTF-8) as llama.cpp's
    /// `llm_tokenizer_spm_session::tokenize` and appends the tokens.
    private func encode(_ utf8: ArraySlice<UInt8>, spacePrefix: Bool, into output: inout [Int32], session s: inout MergeSession) {
        // Escape whitespace: every space (and the prefix) becomes ▁ (E2 96 81).
        s.reset()
        if spacePrefix { s.text.append(contentsOf: [0xE2, 0x96, 0x81]) }
        for byte in utf8 {
            if byte == 0x20 { s.text.append(contentsOf: [0xE2, 0x96, 0x81]) } else { s.text.append(byte) }
        }
        if s.text.isEmpty { return }

        // One symbol per UTF-8 character (a stray continuation byte is a character of its own).
        var offset = 0
        while offset < s.text.count {
            let length = min(Self.utf8Length(s.text[offset]), s.text.count - offset)
            let index = Int32(s.start.count)
            s.start.append(Int32(offset))
            s.length.append(Int32(length))
            s.prev.append(index - 1)
            offset += length
            s.next.append(offset == s.text.count ? -1 : index + 1)
        }

        s.text.withUnsafeBufferPointer { text in
            // Seed the queue with every adjacent pair, then merge the best pair while one is left.
            for i in 1..<s.start.count { pushPair(Int32(i - 1), Int32(i), text, &s) }
            while let pair = s.queue.popFirst() {
                let left = Int(pair.left), right = Int(pair.right)
                // Skip a pair whose symbols changed since it was queued (merged away or grown).
                guard s.length[left] != 0, s.length[right] != 0, s.length[left] + s.length[right] == pair.size else { continue }
                s.length[left] += s.length[right]
                s.length[right] = 0
                let after = s.next[right]
                s.next[left] = after
                if after >= 0 { s.prev[Int(after)] = pair.left }
                pushPair(s.prev[left], pair.left, text, &s)
                pushPair(pair.left, after, text, &s)
            }

            // Each remaining symbol is a token, or (a character outside the vocabulary) its bytes.
            var i: Int32 = 0
            while i >= 0 {
                let start = Int(s.start[Int(i)]), length = Int(s.length[Int(i)])
                if let id = table.id(of: text, start: start, count: length) {
                    output.append(id)
                } else {
                    for k in start..<start + length {
                        let id = byteToken[Int(text[k])]
                        // llama.cpp fails when a vocabulary has no token for a byte; Switchyard uses UNK.
                        if id >= 0 { output.append(id) } else if let unk = unknownToken { output.append(unk) }
                    }
                }
                i = s.next[Int(i)]
            }
        }
    }

    /// Queues the merge of symbols `left` and `right` when their text is a vocabulary token
    /// (llama.cpp's `try_add_bigram`).
    @inline(__always)
    private func pushPair(_ left: Int32, _ right: Int32, _ text: UnsafeBufferPointer<UInt8>, _ s: inout MergeSession) {
        guard left >= 0, right >= 0 else { return }
        let size = s.length[Int(left)] + s.length[Int(right)]
        guard Int(size) <= table.maxLength,
              let id = table.id(of: text, start: Int(s.start[Int(left)]), count: Int(size)) else { return }
        s.queue.push(SymbolPair(score: scores[Int(id)], left: left, right: right, size: size))
    }

    /// The byte length of a UTF-8 sequence from its first byte (llama.cpp's `unicode_len_utf8`).
    @inline(__always)
    private static func utf8Length(_ first: UInt8) -> Int {
        switch first >> 4 {
        case 0xC, 0xD: return 2
        case 0xE: return 3
        case 0xF: return 4
        default: return 1
        }
    }

    // MARK: Rendering

    /// `text` with every `▁` (E2 96 81) turned back into a space.
    private static func unescapeWhitespace(_ text: ArraySlice<UInt8>) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(text.count)
        var i = text.startIndex
        while i < text.endIndex {
            if text[i] == 0xE2, i + 2 < text.endIndex, text[i + 1] == 0x96, text[i + 2] == 0x81 {
                out.append(0x20)
                i += 3
            } else {
                out.append(text[i])
                i += 1
            }
        }
        return out
    }

    /// The byte a byte token `<0xXX>` stands for: the hex digits at offsets 3 and 4, read as
    /// `strtol` does (leading hex digits only, 0 when there are none).
    private static func byteValue(_ text: ArraySlice<UInt8>) -> UInt8 {
        var value: UInt32 = 0
        let from = text.startIndex + 3
        guard from < text.endIndex else { return 0 }
        for c in text[from..<min(from + 2, text.endIndex)] {
            let digit: UInt8
            switch c {
            case 0x30...0x39: digit = c - 0x30
            case 0x41...0x46: digit = c - 0x41 + 10
            case 0x61...0x66: digit = c - 0x61 + 10
            default: return UInt8(truncatingIfNeeded: value)
            }
            value = value << 4 | UInt32(digit)
        }
        return UInt8(truncatingIfNeeded: value)
    }
}

/// GGUF keys only SentencePiece vocabularies use.
private enum SentencePieceKey {
    static let scores = "tokenizer.ggml.scores"
    static let unknown = "tokenizer.ggml.unknown_token_id"
    static let addSpacePrefix = "tokenizer.ggml.add_space_prefix"
}

/// Every token's text as UTF-8 in one buffer, with an open-addressing hash table from text to id, so
/// that the merge loop looks up byte ranges of its input without building strings. When a text
/// repeats, the last id wins (llama.cpp's `token_to_id`).
private struct TokenTextTable: Sendable {
    /// The texts back to back; token i is `bytes[offsets[i]..<offsets[i + 1]]`.
    private let bytes: [UInt8]
    private let offsets: [Int32]
    /// Token ids by hash slot, -1 for an empty slot; the count is a power of two.
    private let slots: [Int32]
    /// The longest text in bytes.
    let maxLength: Int

    /// - Parameter texts: token texts by id; an empty text stands as `[EMPTY_id]` (as llama.cpp).
    init(_ texts: [String]) {
        func text(_ id: Int) -> String { texts[id].isEmpty ? "[EMPTY_\(id)]" : texts[id] }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(texts.indices.reduce(0) { $0 + text($1).utf8.count })   // exactly: 262K texts are MBs
        var offsets: [Int32] = [0]
        offsets.reserveCapacity(texts.count + 1)
        var maxLength = 0
        for id in texts.indices {
            let text = text(id)
            bytes.append(contentsOf: text.utf8)
            maxLength = max(maxLength, text.utf8.count)
            offsets.append(Int32(bytes.count))
        }
        var capacity = 16
        while capacity < texts.count * 2 { capacity <<= 1 }
        var slots = [Int32](repeating: -1, count: capacity)
        let mask = capacity - 1
        bytes.withUnsafeBufferPointer { all in
            for id in 0..<texts.count {
                let start = Int(offsets[id]), count = Int(offsets[id + 1]) - start
                var slot = Int(truncatingIfNeeded: Self.hash(all, start, count)) & mask
                while slots[slot] >= 0 {
                    let other = Int(slots[slot])
                    let otherStart = Int(offsets[other])
                    if Int(offsets[other + 1]) - otherStart == count && Self.equal(all, start, all, otherStart, count) { break }
                    slot = (slot + 1) & mask
                }
                slots[slot] = Int32(id)
            }
        }
        self.bytes = bytes
        self.offsets = offsets
        self.slots = slots
        self.maxLength = maxLength
    }

    /// The id of the token whose text is `text[start..<start + count]`, if any.
    @inline(__always)
    func id(of text: UnsafeBufferPointer<UInt8>, start: Int, count: Int) -> Int32? {
        if count > maxLength { return nil }
        return bytes.withUnsafeBufferPointer { all in
            offsets.withUnsafeBufferPointer { offsets in
                slots.withUnsafeBufferPointer { slots in
                    let mask = slots.count - 1
                    var slot = Int(truncatingIfNeeded: Self.hash(text, start, count)) & mask
                    while true {
                        let id = Int(slots[slot])
                        if id < 0 { return nil }
                        let otherStart = Int(offsets[id])
                        if Int(offsets[id + 1]) - otherStart == count && Self.equal(text, start, all, otherStart, count) {
                            return Int32(id)
                        }
                        slot = (slot + 1) & mask
                    }
                }
            }
        }
    }

    /// The id of the token whose text is `text`, if any.
    func id(of text: ArraySlice<UInt8>) -> Int32? {
        text.withUnsafeBufferPointer { id(of: $0, start: 0, count: $0.count) }
    }

    func id(of text: String) -> Int32? { id(of: Array(text.utf8)[...]) }

    /// The UTF-8 text of token `id` (a valid id).
    func bytes(of id: Int32) -> ArraySlice<UInt8> { bytes[Int(offsets[Int(id)])..<Int(offsets[Int(id) + 1])] }

    func text(of id: Int32) -> String { String(decoding: bytes(of: id), as: UTF8.self) }

    /// FNV-1a over the bytes, with the high half folded into the low bits the mask keeps.
    @inline(__always)
    private static func hash(_ p: UnsafeBufferPointer<UInt8>, _ start: Int, _ count: Int) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for i in start..<start + count { h = (h ^ UInt64(p[i])) &* 0x0000_0100_0000_01b3 }
        return h ^ (h >> 32)
    }

    @inline(__always)
    private static func equal(_ a: UnsafeBufferPointer<UInt8>, _ aStart: Int, _ b: UnsafeBufferPointer<UInt8>, _ bStart: Int, _ count: Int) -> Bool {
        for k in 0..<count where a[aStart + k] != b[bStart + k] { return false }
        return true
    }
}

/// Per-call working storage of the merge loop, reused across the text pieces of one `encode`.
/// Symbol i is `text[start[i]..<start[i] + length[i]]`; a symbol merged into its left neighbour has
/// length 0; `prev`/`next` link the live symbols (-1 at either end).
private struct MergeSession {
    var text: [UInt8] = []
    var start: [Int32] = []
    var length: [Int32] = []
    var prev: [Int32] = []
    var next: [Int32] = []
    var queue = MergeQueue<SymbolPair>()

    mutating func reset() {
        text.removeAll(keepingCapacity: true)
        start.removeAll(keepingCapacity: true)
        length.removeAll(keepingCapacity: true)
        prev.removeAll(keepingCapacity: true)
        next.removeAll(keepingCapacity: true)
        queue.removeAll()
    }
}

/// A candidate merge of two adjacent symbols (llama.cpp's `llm_bigram_spm`).
private struct SymbolPair: MergeCandidate {
    /// The score of the token the merge makes.
    let score: Float
    let left: Int32
    let right: Int32
    /// The merged text's byte length when queued; a mismatch later means the pair is stale.
    let size: Int32

    /// Whether `self` merges before `other`: higher score first, then the leftmost.
    @inline(__always)
    func precedes(_ other: SymbolPair) -> Bool {
        score > other.score || (score == other.score && left < other.left)
    }
}

