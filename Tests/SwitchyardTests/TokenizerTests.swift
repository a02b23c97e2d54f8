import Foundation
import XCTest
@testable import SwitchyardModels

/// Pins the GPT-2 byte-level BPE tokenizer to llama.cpp token for token: against
/// Fixtures/tokenizer-smollm2*.json (made by scripts/fixtures/make_tokenizer_fixtures.py with
/// llama-cpp-python on SmolLM2's vocabulary, with its own "smollm" pre-tokenizer and with the
/// "gpt-2" and "default" pre-tokenizers swapped in), and against tiny vocabularies worked out by hand.
final class TokenizerTests: XCTestCase {

    // MARK: - Against llama.cpp

    func testBPEMatchesLlamaCppOnTrickyStrings() throws {
        let tokenizer = try TokenizerFactory.make(from: TestModels.open(TestModels.smollm2Path))
        try assertMatchesFixture(tokenizer, "tokenizer-smollm2.json")
    }

    func testGPT2PreTokenizerMatchesLlamaCpp() throws {
        try assertMatchesFixture(smollm2Tokenizer(pre: "gpt-2"), "tokenizer-smollm2-gpt2pre.json")
    }

    func testDefaultPreTokenizerMatchesLlamaCpp() throws {
        try assertMatchesFixture(smollm2Tokenizer(pre: "default"), "tokenizer-smollm2-defaultpre.json")
    }

    func testSpecialTokensAndEndOfGenerationMatchLlamaCpp() throws {
        let fixture = try TokenizerFixture.load("tokenizer-smollm2.json")
        let tokenizer = try TokenizerFactory.make(from: TestModels.open(TestModels.smollm2Path))
        XCTAssertEqual(tokenizer.vocabularySize, fixture.vocabSize)
        XCTAssertEqual(tokenizer.bosToken, fixture.bos)
        XCTAssertEqual(tokenizer.eosToken, fixture.eos)
        XCTAssertEqual(tokenizer.addsBOS, fixture.addBOS)
        let eog = (0..<Int32(tokenizer.vocabularySize)).filter(tokenizer.isEndOfGeneration)
        XCTAssertEqual(eog, fixture.eog, "end-of-generation tokens")
        XCTAssertEqual(tokenizer.specialToken("<|im_end|>"), 2)
        XCTAssertEqual(tokenizer.specialToken("<|im_start|>"), 1)
        XCTAssertNil(tokenizer.specialToken("hello"), "a normal token is not special")
        XCTAssertNil(tokenizer.specialToken("<|not_a_token|>"))
    }

    func testTokenBytesMatchLlamaCppPieces() throws {
        let fixture = try TokenizerFixture.load("tokenizer-smollm2.json")
        let tokenizer = try TokenizerFactory.make(from: TestModels.open(TestModels.smollm2Path))
        XCTAssertGreaterThan(fixture.pieces.count, 400)
        for p in fixture.pieces {
            XCTAssertEqual(TextForMessages.hex(tokenizer.bytes(of: p.id, renderSpecial: false)), p.plain, "token \(p.id) '\(tokenizer.piece(of: p.id))'")
            XCTAssertEqual(TextForMessages.hex(tokenizer.bytes(of: p.id, renderSpecial: true)), p.special, "token \(p.id) '\(tokenizer.piece(of: p.id))' rendered special")
        }
        XCTAssertEqual(tokenizer.piece(of: 2), "<|im_end|>")
        XCTAssertEqual(tokenizer.bytes(of: -1, renderSpecial: true), [])
        XCTAssertEqual(tokenizer.bytes(of: Int32(tokenizer.vocabularySize), renderSpecial: true), [])
    }

    func testDecodeOfEncodeGivesBackTheText() throws {
        let fixture = try TokenizerFixture.load("tokenizer-smollm2.json")
        let tokenizer = try TokenizerFactory.make(from: TestModels.open(TestModels.smollm2Path))
        var failures = 0
        for text in Set(fixture.cases.map(\.text)) {
            let plain = tokenizer.decode(tokenizer.encode(text, addSpecial: false, parseSpecial: false))
            let special = tokenizer.decode(tokenizer.encode(text, addSpecial: false, parseSpecial: true), renderSpecial: true)
            if plain != text || special != text {
                failures += 1
                if failures <= 10 {
                    XCTFail("round trip of \(TextForMessages.escaped(text)) gave \(TextForMessages.escaped(plain)) (plain) and \(TextForMessages.escaped(special)) (parse special)")
                }
            }
        }
        XCTAssertEqual(failures, 0, "texts that do not round-trip")
        // Control tokens render only on request.
        let ids = tokenizer.encode("<|im_start|>user\nhi<|im_end|>", addSpecial: false, parseSpecial: true)
        XCTAssertEqual(tokenizer.decode(ids), "user\nhi")
    }

    func testLongTextsAndRunsMatchLlamaCpp() throws {
        // A 10 KB mixed text and long runs (one 13 KB CJK word, 5000 spaces, ...). Also reports the
        // encode times for the log (not asserted: timings live in `switchyard bench`).
        let fixture = try TokenizerFixture.load("tokenizer-smollm2.json")
        let tokenizer = try TokenizerFactory.make(from: TestModels.open(TestModels.smollm2Path))
        let long = fixture.cases.filter { $0.text.utf8.count >= 5000 }
        XCTAssertGreaterThanOrEqual(long.count, 10)
        XCTAssertTrue(long.contains { $0.text.contains("quick brown") && $0.text.utf8.count >= 10_000 })
        for c in long {
            let start = Date()
            let ids = tokenizer.encode(c.text, addSpecial: c.addSpecial, parseSpecial: c.parseSpecial)
            let seconds = Date().timeIntervalSince(start)
            print("encoded \(c.text.utf8.count) bytes (\(TextForMessages.escaped(String(c.text.prefix(12))))...) into \(ids.count) tokens in \(String(format: "%.3f", seconds)) s")
            XCTAssertEqual(ids, c.ids, TextForMessages.escaped(String(c.text.prefix(40))))
        }
    }

    // MARK: - Hand-made vocabularies

    func testMergesApplyLowestRankFirst() throws {
        // "b c" outranks "a b": abc → a + bc → abc.
        let bcFirst = try tinyTokenizer(extra: ["ab", "bc", "abc"], merges: ["b c", "a b", "a bc"])
        XCTAssertEqual(pieces(bcFirst, "abc"), ["abc"])
        // "a b" outranks "b c": abc → ab + c, and "ab c" is no merge.
        let abFirst = try tinyTokenizer(extra: ["ab", "bc", "abc"], merges: ["a b", "b c", "a bc"])
        XCTAssertEqual(pieces(abFirst, "abc"), ["ab", "c"])
    }

    func testEqualRankMergesApplyLeftmostFirst() throws {
        // "aaa": both (a,a) pairs have the same rank; the leftmost merges first → aa + a.
        let tokenizer = try tinyTokenizer(extra: ["aa"], merges: ["a a"])
        XCTAssertEqual(pieces(tokenizer, "aaa"), ["aa", "a"])
        XCTAssertEqual(pieces(tokenizer, "aaaa"), ["aa", "aa"])
    }

    func testBytesMapThroughGPT2Characters() throws {
        // A space is Ġ (U+0120), a newline Ċ (U+010A); é is two bytes, each its own character.
        let tokenizer = try tinyTokenizer(extra: ["Ġa"], merges: ["Ġ a"])
        XCTAssertEqual(pieces(tokenizer, " a"), ["Ġa"])
        XCTAssertEqual(pieces(tokenizer, "\n"), ["Ċ"])
        XCTAssertEqual(pieces(tokenizer, "é"), ["Ã", "©"])
        XCTAssertEqual(tokenizer.decode(tokenizer.encode(" a\né", addSpecial: false, parseSpecial: false)), " a\né")
    }

    func testSmolLMPreTokenizerIsolatesDigitsAndSplitsWords() {
        let pre = BPEPreTokenizer(name: "smollm")!
        func words(_ s: String) -> [String] {
            let scalars = s.unicodeScalars.map(\.value)
            return pre.split(scalars).map { r in String(String.UnicodeScalarView(scalars[r].map { Unicode.Scalar($0)! })) }
        }
        XCTAssertEqual(words("Hello world 123"), ["Hello", " world", " ", "1", "2", "3"])
        XCTAssertEqual(words("don't  stop\n\n"), ["don", "'t", " ", " stop", "\n\n"])
        XCTAssertEqual(words("naïve café!!"), ["naïve", " café", "!!"])
        XCTAssertEqual(words("日本語 😀😀 x"), ["日本語", " 😀😀", " x"])
    }

    func testSpecialTokenPartitionPrefersLongestText() {
        let matcher = SpecialTokenMatcher(specials: [(5, "<a>", true), (6, "<a><b>", true), (7, "<b>", false)])
        let text = Array("x<a><b>y<b><a>".utf8)
        XCTAssertEqual(matcher.partition(text, parseSpecial: true),
                       [.text(0..<1), .token(6), .text(7..<8), .token(7), .token(5)])
        // Without parse-special only the user-defined token (7) is matched.
        XCTAssertEqual(matcher.partition(text, parseSpecial: false),
                       [.text(0..<4), .token(7), .text(7..<8), .token(7), .text(11..<14)])
        XCTAssertEqual(matcher.partition([], parseSpecial: true), [])
    }

    // MARK: - Errors

    func testFactoryRejectsUnsupportedModelsAndBadMetadata() throws {
        let good = try tinyMetadata(extra: ["ab"], merges: ["a b"])
        XCTAssertNoThrow(try TokenizerFactory.make(from: good))

        func error(_ metadata: [String: GGUFValue]) -> TokenizerError? {
            do { _ = try TokenizerFactory.make(from: metadata); return nil } catch { return error as? TokenizerError }
        }
        var m = good
        m["tokenizer.ggml.model"] = .string("bert")
        XCTAssertEqual(error(m), .unsupportedModel("bert"))
        m = good
        m["tokenizer.ggml.model"] = nil
        XCTAssertEqual(error(m), .missingMetadata(key: "tokenizer.ggml.model"))
        m = good
        m["tokenizer.ggml.pre"] = .string("no-such-pre")
        XCTAssertEqual(error(m), .unsupportedPreTokenizer("no-such-pre"))
        m = good
        m["tokenizer.ggml.tokens"] = nil
        XCTAssertEqual(error(m), .missingMetadata(key: "tokenizer.ggml.tokens"))
        m = good
        m["tokenizer.ggml.merges"] = .array(.string, [.string("a b"), .string("nospace")])
        XCTAssertEqual(error(m), .malformedMerge(index: 1, text: "nospace"))
        m = good
        m["tokenizer.ggml.merges"] = .uint32(3)
        guard case .invalidMetadata(let key, _)? = error(m) else { return XCTFail("expected invalidMetadata") }
        XCTAssertEqual(key, "tokenizer.ggml.merges")

        // Each error reads as one sentence.
        for e in [TokenizerError.unsupportedModel("bert"), .missingMetadata(key: "k"), .unsupportedPreTokenizer("p"),
                  .malformedMerge(index: 1, text: "x"), .invalidMetadata(key: "k", reason: "r")] {
            XCTAssertTrue(e.description.hasSuffix("."), e.description)
            XCTAssertFalse(e.description.contains("\n"), e.description)
        }
    }

    // MARK: - Helpers

    /// SmolLM2's tokenizer with `tokenizer.ggml.pre` replaced.
    private func smollm2Tokenizer(pre: String) throws -> any Tokenizer {
        var metadata = try TestModels.open(TestModels.smollm2Path).metadata
        metadata["tokenizer.ggml.pre"] = .string(pre)
        return try TokenizerFactory.make(from: metadata)
    }

    private func assertMatchesFixture(_ tokenizer: any Tokenizer, _ name: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let fixture = try TokenizerFixture.load(name)
        XCTAssertGreaterThan(fixture.cases.count, 500, file: file, line: line)
        var failures = 0
        for c in fixture.cases {
            let got = tokenizer.encode(c.text, addSpecial: c.addSpecial, parseSpecial: c.parseSpecial)
            guard got != c.ids else { continue }
            failures += 1
            if failures <= 15 {
                let render = { (ids: [Int32]) in ids.map { "\($0):\(TextForMessages.escaped(tokenizer.piece(of: $0)))" }.joined(separator: " ") }
                XCTFail("""
                    \(name): \(TextForMessages.escaped(c.text)) (add_special \(c.addSpecial), parse_special \(c.parseSpecial))
                      expected \(c.ids)
                      got      \(got)
                      expected \(render(c.ids))
                      got      \(render(got))
                    """, file: file, line: line)
            }
        }
        XCTAssertEqual(failures, 0, "\(name): cases that differ from llama.cpp (of \(fixture.cases.count))", file: file, line: line)
    }

    private func pieces(_ tokenizer: any Tokenizer, _ text: String) -> [String] {
        tokenizer.encode(text, addSpecial: false, parseSpecial: false).map(tokenizer.piece(of:))
    }

    /// Metadata of a vocabulary of the 256 GPT-2 byte characters plus `extra`, with `merges`.
    private func tinyMetadata(extra: [String], merges: [String]) throws -> [String: GGUFValue] {
        let bytes = (0..<256).map { String(Character(GPT2ByteMap.character(of: UInt8($0)))) }
        return [
            "tokenizer.ggml.model": .string("gpt2"),
            "tokenizer.ggml.pre": .string("gpt-2"),
            "tokenizer.ggml.tokens": .array(.string, (bytes + extra).map { .string($0) }),
            "tokenizer.ggml.merges": .array(.string, merges.map { .string($0) }),
        ]
    }

    private func tinyTokenizer(extra: [String], merges: [String]) throws -> any Tokenizer {
        try TokenizerFactory.make(from: tinyMetadata(extra: extra, merges: merges))
    }
}

/// Fixtures/tokenizer-*.json: llama.cpp's tokenization of a corpus with one vocabulary.
struct TokenizerFixture: Decodable {
    struct Case: Decodable {
        let text: String
        let addSpecial: Bool
        let parseSpecial: Bool
        let ids: [Int32]
        enum CodingKeys: String, CodingKey { case text, addSpecial = "add_special", parseSpecial = "parse_special", ids }
    }
    struct Piece: Decodable {
        let id: Int32
        /// token_to_piece bytes as hex, special tokens hidden / rendered.
        let plain: String
        let special: String
    }
    let model: String
    let pre: String?
    let vocabSize: Int
    let bos: Int32?
    let eos: Int32?
    let addBOS: Bool
    let eog: [Int32]
    let cases: [Case]
    let pieces: [Piece]

    enum CodingKeys: String, CodingKey {
        case model, pre, vocabSize = "vocab_size", bos, eos, addBOS = "add_bos", eog, cases, pieces
    }

    static func load(_ name: String) throws -> TokenizerFixture {
        try JSONDecoder().decode(TokenizerFixture.self, from: Data(contentsOf: TestModels.fixture(name)))
    }
}
