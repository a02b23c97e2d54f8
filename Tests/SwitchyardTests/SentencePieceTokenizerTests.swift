import Foundation
import XCTest
@testable import SwitchyardModels

/// Pins the SentencePiece tokenizer to llama.cpp token for token: against
/// Fixtures/tokenizer-gemma3.json (made by scripts/fixtures/make_tokenizer_fixtures.py with
/// llama-cpp-python on Gemma 3's 262144-token vocabulary), against Gemma-specific cases and a copy of
/// the vocabulary with `add_space_prefix` switched on (ids from llama-cpp-python 0.3.36, listed below),
/// and against tiny vocabularies worked out by hand.
final class SentencePieceTokenizerTests: XCTestCase {

    /// Gemma 3's file, parsed once for all tests (the metadata holds 262144 tokens).
    private static let gemmaFile: Result<GGUFFile, Error> = Result {
        var file: GGUFFile?
        let elapsed = try ContinuousClock().measure { file = try GGUFFile(path: TestModels.gemma3Path) }
        print("gemma3: GGUF file and metadata parsed in \(elapsed)")
        return file!
    }

    /// Gemma 3's tokenizer, built once for all tests.
    private static let gemma: Result<SentencePieceTokenizer, Error> = Result {
        let metadata = try gemmaFile.get().metadata
        var tokenizer: SentencePieceTokenizer?
        let elapsed = try ContinuousClock().measure { tokenizer = try SentencePieceTokenizer(metadata: metadata) }
        print("gemma3: SentencePieceTokenizer built from the metadata in \(elapsed)")
        return tokenizer!
    }

    private func gemmaMetadata() throws -> [String: GGUFValue] {
        if !FileManager.default.fileExists(atPath: TestModels.gemma3Path) {
            _ = try TestModels.open(TestModels.gemma3Path)   // fails the test with the fetch hint
        }
        return try Self.gemmaFile.get().metadata
    }

    private func gemma() throws -> SentencePieceTokenizer {
        _ = try gemmaMetadata()
        return try Self.gemma.get()
    }

    // MARK: - Against llama.cpp

    func testSentencePieceMatchesLlamaCppOnFixture() throws {
        let fixture = try TokenizerFixture.load("tokenizer-gemma3.json")
        XCTAssertGreaterThan(fixture.cases.count, 900)
        XCTAssertEqual(Set(fixture.cases.map { "\($0.addSpecial)\($0.parseSpecial)" }).count, 4, "every flag combination")
        let tokenizer = try gemma()
        assertMatches(tokenizer, fixture.cases.map { ($0.text, $0.addSpecial, $0.parseSpecial, $0.ids) }, "tokenizer-gemma3.json")
    }

    func testGemmaSpecialAndUserDefinedTokensMatchLlamaCpp() throws {
        // Byte-token and control-token texts as plain text, user-defined runs of tabs, spaces and
        // newlines, HTML tags, "</s>" (user-defined in the file, control for llama.cpp because it
        // ends generation), literal ▁, and Gemma's chat turn markers.
        assertMatches(try gemma(), Self.gemmaCases.flatMap(Self.expand), "Gemma cases")
    }

    func testSpacePrefixMatchesLlamaCpp() throws {
        // Gemma's vocabulary with tokenizer.ggml.add_space_prefix = true: text that starts the input
        // or follows any special token (control or user-defined) gets a leading ▁.
        var metadata = try gemmaMetadata()
        XCTAssertEqual(metadata["tokenizer.ggml.add_space_prefix"], .bool(false))
        metadata["tokenizer.ggml.add_space_prefix"] = .bool(true)
        let tokenizer = try SentencePieceTokenizer(metadata: metadata)
        XCTAssertTrue(tokenizer.addsSpacePrefix)
        assertMatches(tokenizer, Self.spacePrefixCases.flatMap(Self.expand), "add_space_prefix cases")
    }

    func testSpecialTokensAndEndOfGenerationMatchLlamaCpp() throws {
        let fixture = try TokenizerFixture.load("tokenizer-gemma3.json")
        let tokenizer = try gemma()
        XCTAssertEqual(tokenizer.vocabularySize, fixture.vocabSize)
        XCTAssertEqual(tokenizer.bosToken, fixture.bos)
        XCTAssertEqual(tokenizer.eosToken, fixture.eos)
        XCTAssertEqual(tokenizer.addsBOS, fixture.addBOS)
        XCTAssertFalse(tokenizer.addsEOS)
        XCTAssertFalse(tokenizer.addsSpacePrefix)
        XCTAssertEqual(tokenizer.unknownToken, 3)
        let eog = (0..<Int32(tokenizer.vocabularySize)).filter(tokenizer.isEndOfGeneration)
        XCTAssertEqual(eog, fixture.eog, "end-of-generation tokens")
        XCTAssertEqual(tokenizer.endOfGenerationTokens, fixture.eog)
        XCTAssertTrue(tokenizer.isEndOfGeneration(106), "<end_of_turn>")
        XCTAssertEqual(tokenizer.specialToken("<start_of_turn>"), 105)
        XCTAssertEqual(tokenizer.specialToken("<end_of_turn>"), 106)
        XCTAssertEqual(tokenizer.specialToken("\n\n"), 108, "user-defined tokens are special")
        XCTAssertNil(tokenizer.specialToken("▁hello"), "a normal token is not special")
        XCTAssertNil(tokenizer.specialToken("<0x41>"), "a byte token is not special")
        XCTAssertNil(tokenizer.specialToken("<not_a_token>"))
        XCTAssertEqual(tokenizer.score(of: 496), -2, "▁a")
    }

    func testTokenBytesMatchLlamaCppPieces() throws {
        let fixture = try TokenizerFixture.load("tokenizer-gemma3.json")
        let tokenizer = try gemma()
        XCTAssertGreaterThan(fixture.pieces.count, 3000)
        var failures = 0
        for p in fixture.pieces {
            let plain = TextForMessages.hex(tokenizer.bytes(of: p.id, renderSpecial: false))
            let special = TextForMessages.hex(tokenizer.bytes(of: p.id, renderSpecial: true))
            if plain != p.plain || special != p.special {
                failures += 1
                if failures <= 10 {
                    XCTFail("token \(p.id) \(TextForMessages.escaped(tokenizer.piece(of: p.id))): plain \(plain) (llama.cpp \(p.plain)), special \(special) (llama.cpp \(p.special))")
                }
            }
        }
        XCTAssertEqual(failures, 0, "pieces that differ from llama.cpp (of \(fixture.pieces.count))")
        // Byte tokens (ids 238...493 are <0x00>...<0xFF>), ▁ as a space, control tokens on request.
        XCTAssertEqual(tokenizer.piece(of: 303), "<0x41>")
        XCTAssertEqual(tokenizer.bytes(of: 303, renderSpecial: false), [0x41])
        XCTAssertEqual(tokenizer.bytes(of: 496, renderSpecial: false), Array(" a".utf8))
        XCTAssertEqual(tokenizer.bytes(of: 106, renderSpecial: false), [])
        XCTAssertEqual(tokenizer.bytes(of: 106, renderSpecial: true), Array("<end_of_turn>".utf8))
        XCTAssertEqual(tokenizer.bytes(of: 108, renderSpecial: false), Array("\n\n".utf8), "user-defined tokens always render")
        XCTAssertEqual(tokenizer.bytes(of: -1, renderSpecial: true), [])
        XCTAssertEqual(tokenizer.bytes(of: Int32(tokenizer.vocabularySize), renderSpecial: true), [])
        XCTAssertEqual(tokenizer.piece(of: -1), "")
    }

    func testDecodeOfEncodeGivesBackTheText() throws {
        let fixture = try TokenizerFixture.load("tokenizer-gemma3.json")
        let tokenizer = try gemma()
        var failures = 0
        for text in Set(fixture.cases.map(\.text) + Self.gemmaCases.map(\.text)) where !text.contains("▁") {
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
        // A literal ▁ in the input is SentencePiece's space, and decodes as one.
        XCTAssertEqual(tokenizer.decode(tokenizer.encode("▁▁x ▁y", addSpecial: false, parseSpecial: false)), "  x  y")
        // Control tokens render only on request.
        let ids = tokenizer.encode("<start_of_turn>user\nhi<end_of_turn>\n", addSpecial: true, parseSpecial: true)
        XCTAssertEqual(tokenizer.decode(ids), "user\nhi\n")
        XCTAssertEqual(tokenizer.decode(ids, renderSpecial: true), "<bos><start_of_turn>user\nhi<end_of_turn>\n")
    }

    func testLongTextsAndRunsMatchLlamaCpp() throws {
        // A 10 KB mixed text and long runs (one 13 KB CJK word, 5000 spaces, ...). Also reports the
        // encode times for the log (not asserted: timings live in `switchyard bench`).
        let fixture = try TokenizerFixture.load("tokenizer-gemma3.json")
        let tokenizer = try gemma()
        let long = fixture.cases.filter { $0.text.utf8.count >= 5000 }
        XCTAssertGreaterThanOrEqual(long.count, 10)
        XCTAssertTrue(long.contains { $0.text.contains("quick brown") && $0.text.utf8.count >= 10_000 })
        let clock = ContinuousClock()
        for c in long {
            var ids: [Int32] = []
            let elapsed = clock.measure { ids = tokenizer.encode(c.text, addSpecial: c.addSpecial, parseSpecial: c.parseSpecial) }
            print("encoded \(c.text.utf8.count) bytes (\(TextForMessages.escaped(String(c.text.prefix(12))))...) into \(ids.count) tokens in \(elapsed)")
            XCTAssertEqual(ids, c.ids, TextForMessages.escaped(String(c.text.prefix(40))))
        }
    }

    // MARK: - Hand-made vocabularies

    func testHighestScoreMergesFirst() throws {
        // "bc" outscores "ab": abc → a + bc.
        let bcFirst = try tinyTokenizer([("ab", -2), ("bc", -1)])
        XCTAssertEqual(pieces(bcFirst, "abc"), ["a", "bc"])
        // "ab" outscores "bc": abc → ab + c.
        let abFirst = try tinyTokenizer([("ab", -1), ("bc", -2)])
        XCTAssertEqual(pieces(abFirst, "abc"), ["ab", "c"])
        // Any adjacent pair that forms a token merges, however low its score: ab + c → abc.
        let chained = try tinyTokenizer([("ab", -1), ("abc", -50)])
        XCTAssertEqual(pieces(chained, "abc"), ["abc"])
    }

    func testEqualScoresMergeLeftmostFirst() throws {
        let tokenizer = try tinyTokenizer([("aa", -1)])
        XCTAssertEqual(pieces(tokenizer, "aaa"), ["aa", "a"])
        XCTAssertEqual(pieces(tokenizer, "aaaaa"), ["aa", "aa", "a"])
    }

    func testUnknownCharactersFallBackToByteTokens() throws {
        // "é" (C3 A9) is no token: it becomes <0xC3> <0xA9>; spaces become ▁.
        let tokenizer = try tinyTokenizer([("▁a", -1)])
        XCTAssertEqual(pieces(tokenizer, "é a"), ["<0xC3>", "<0xA9>", "▁a"])
        XCTAssertEqual(tokenizer.decode(tokenizer.encode("é a", addSpecial: false, parseSpecial: false)), "é a")
    }

    func testSpacePrefixFollowsMetadata() throws {
        var metadata = tinyMetadata([("▁a", -1)])
        metadata["tokenizer.ggml.add_space_prefix"] = .bool(true)
        let prefixed = try SentencePieceTokenizer(metadata: metadata)
        XCTAssertEqual(pieces(prefixed, "a"), ["▁a"])
        XCTAssertEqual(pieces(prefixed, ""), [])
        // BOS comes from the default id 1 and add_bos_token's default true.
        XCTAssertEqual(prefixed.encode("a", addSpecial: true, parseSpecial: false).first, 1)
        let plain = try tinyTokenizer([("▁a", -1)])
        XCTAssertEqual(pieces(plain, "a"), ["a"])
    }

    // MARK: - Errors

    func testFactoryBuildsSentencePieceAndRejectsBadMetadata() throws {
        let good = tinyMetadata([("ab", -1)])
        XCTAssertTrue(try TokenizerFactory.make(from: good) is SentencePieceTokenizer)

        func error(_ metadata: [String: GGUFValue]) -> TokenizerError? {
            do { _ = try TokenizerFactory.make(from: metadata); return nil } catch { return error as? TokenizerError }
        }
        var m = good
        m["tokenizer.ggml.tokens"] = nil
        XCTAssertEqual(error(m), .missingMetadata(key: "tokenizer.ggml.tokens"))
        m = good
        m["tokenizer.ggml.scores"] = .array(.float32, [.float32(0)])
        guard case .invalidMetadata(let key, _)? = error(m) else { return XCTFail("expected invalidMetadata for short scores") }
        XCTAssertEqual(key, "tokenizer.ggml.scores")
        m = good
        m["tokenizer.ggml.add_space_prefix"] = .uint32(1)
        XCTAssertEqual(error(m), .invalidMetadata(key: "tokenizer.ggml.add_space_prefix", reason: "expected a bool, found 1"))
        XCTAssertTrue(TokenizerError.unsupportedModel("bert").description.contains("gpt2, llama"))
    }

    // MARK: - Cases from llama.cpp

    /// A text and llama.cpp's ids for (add_special, parse_special) = (off, off), (off, on), (on, off), (on, on).
    private struct LlamaCppCase {
        let text: String
        let ids: [[Int32]]
        /// Ids that are the same with and without parse_special.
        init(_ text: String, plain: [Int32], special: [Int32]? = nil, bos: Int32 = 2) {
            self.text = text
            let special = special ?? plain
            ids = [plain, special, [bos] + plain, [bos] + special]
        }
    }

    private static func expand(_ c: LlamaCppCase) -> [(String, Bool, Bool, [Int32])] {
        [(c.text, false, false, c.ids[0]), (c.text, false, true, c.ids[1]),
         (c.text, true, false, c.ids[2]), (c.text, true, true, c.ids[3])]
    }

    /// From llama-cpp-python 0.3.36 (`Llama(vocab_only=True).tokenize(text, add_bos, special)`) on
    /// gemma-3-270m-q4_k_m.gguf.
    private static let gemmaCases: [LlamaCppCase] = [
        LlamaCppCase("<0x41><0x0A>", plain: [236820, 236771, 236781, 236812, 236770, 1798, 236771, 236781, 236771, 236776, 236813]),
        LlamaCppCase("<unused5> <unused6241>", plain: [236820, 63634, 236810, 236813, 655, 63634, 236825, 236778, 236812, 236770, 236813],
                     special: [11, 236743, 262143]),
        LlamaCppCase("[multimodal]x", plain: [5, 236781]),
        LlamaCppCase("\t\tx\ty", plain: [255969, 236781, 255968, 236762]),
        LlamaCppCase("<table><tr><td>1</td></tr></table>", plain: [168, 173, 175, 236770, 183, 181, 176]),
        LlamaCppCase("<start_of_image><end_of_image>", plain: [255999, 256000]),
        LlamaCppCase("<mask>", plain: [236820, 1080, 236813], special: [4]),
        LlamaCppCase("    x  y", plain: [140, 236781, 138, 236762]),
        LlamaCppCase("a</s>b", plain: [236746, 954, 236751, 236813, 236763], special: [236746, 212, 236763]),
        LlamaCppCase("<b>bold</b> <i>it</i>", plain: [200, 15640, 209, 236743, 201, 509, 210]),
        LlamaCppCase("x\n\n\n\ny", plain: [236781, 110, 236762]),
        LlamaCppCase("<bos><start_of_turn>user\nWhat is 2+2?<end_of_turn>\n<start_of_turn>model\n",
                     plain: [236820, 46757, 1798, 3041, 236779, 1340, 236779, 887, 236813, 2364, 107, 3689, 563, 236743, 236778,
                             236862, 236778, 145912, 643, 236779, 1340, 236779, 887, 236813, 107, 236820, 3041, 236779, 1340,
                             236779, 887, 236813, 4368, 107],
                     special: [2, 105, 2364, 107, 3689, 563, 236743, 236778, 236862, 236778, 236881, 106, 107, 105, 4368, 107]),
        LlamaCppCase("▁", plain: [236743]),
        LlamaCppCase("▁▁x ▁y", plain: [236743, 1123, 236743, 570]),
        LlamaCppCase("<unk>x", plain: [236820, 4984, 236813, 236781], special: [3, 236781]),
    ]

    /// As `gemmaCases`, on a copy of the file's metadata with tokenizer.ggml.add_space_prefix = true.
    private static let spacePrefixCases: [LlamaCppCase] = [
        LlamaCppCase("Hello world", plain: [26352, 1902]),
        LlamaCppCase("", plain: []),
        LlamaCppCase(" x", plain: [236743, 1123]),
        LlamaCppCase("<start_of_turn>user\nhi<end_of_turn>\nok",
                     plain: [655, 3041, 236779, 1340, 236779, 887, 236813, 2364, 107, 5631, 236820, 643, 236779, 1340, 236779,
                             887, 236813, 107, 7546],
                     special: [105, 2430, 107, 5631, 106, 107, 7546]),
        LlamaCppCase("a\n\nb", plain: [496, 108, 518]),
        LlamaCppCase("<b>x</b>y", plain: [200, 1123, 209, 570]),
    ]

    // MARK: - Helpers

    private func assertMatches(_ tokenizer: SentencePieceTokenizer, _ cases: [(String, Bool, Bool, [Int32])], _ name: String,
                               file: StaticString = #filePath, line: UInt = #line) {
        var failures = 0
        for (text, addSpecial, parseSpecial, expected) in cases {
            let got = tokenizer.encode(text, addSpecial: addSpecial, parseSpecial: parseSpecial)
            guard got != expected else { continue }
            failures += 1
            if failures <= 15 {
                let render = { (ids: [Int32]) in ids.map { "\($0):\(TextForMessages.escaped(tokenizer.piece(of: $0)))" }.joined(separator: " ") }
                XCTFail("""
                    \(name): \(TextForMessages.escaped(text)) (add_special \(addSpecial), parse_special \(parseSpecial))
                      expected \(expected)
                      got      \(got)
                      expected \(render(expected))
                      got      \(render(got))
                    """, file: file, line: line)
            }
        }
        XCTAssertEqual(failures, 0, "\(name): cases that differ from llama.cpp (of \(cases.count))", file: file, line: line)
    }

    private func pieces(_ tokenizer: SentencePieceTokenizer, _ text: String) -> [String] {
        tokenizer.encode(text, addSpecial: false, parseSpecial: false).map(tokenizer.piece(of:))
    }

    /// Metadata of a vocabulary of <unk>, <s>, </s>, the 256 byte tokens, the letters a, b, c, ▁ (score
    /// -10 each) and `extra` with its scores; no space prefix.
    private func tinyMetadata(_ extra: [(String, Float)]) -> [String: GGUFValue] {
        var tokens: [(String, Float, Int32)] = [("<unk>", 0, 2), ("<s>", 0, 3), ("</s>", 0, 3)]
        tokens += (0..<256).map { (String(format: "<0x%02X>", $0), 0, 6) }
        tokens += ["a", "b", "c", "▁"].map { ($0, -10, 1) }
        tokens += extra.map { ($0.0, $0.1, 1) }
        return [
            "tokenizer.ggml.model": .string("llama"),
            "tokenizer.ggml.tokens": .array(.string, tokens.map { .string($0.0) }),
            "tokenizer.ggml.scores": .array(.float32, tokens.map { .float32($0.1) }),
            "tokenizer.ggml.token_type": .array(.int32, tokens.map { .int32($0.2) }),
            "tokenizer.ggml.add_space_prefix": .bool(false),
        ]
    }

    private func tinyTokenizer(_ extra: [(String, Float)]) throws -> SentencePieceTokenizer {
        try SentencePieceTokenizer(metadata: tinyMetadata(extra))
    }
}
