import Foundation
import XCTest
@testable import SwitchyardModels

/// Pins `TextStreamDecoder`: streamed pieces never split a character, and together they are exactly
/// the whole byte stream decoded at once, on hand-made sequences, on fresh random bytes, and on real
/// SmolLM2 tokens of text whose characters span several tokens.
final class TextStreamDecoderTests: XCTestCase {

    func testHoldsBackAnIncompleteCharacterUntilItsLastByte() {
        var decoder = TextStreamDecoder()
        let smile = Array("😀".utf8)   // F0 9F 98 80
        XCTAssertEqual(decoder.push([0x41] + smile[0..<2]), "A")
        XCTAssertEqual(decoder.pendingByteCount, 2)
        XCTAssertEqual(decoder.push(smile[2..<3]), "")
        XCTAssertEqual(decoder.push(smile[3..<4] + [0x42]), "😀B")
        XCTAssertEqual(decoder.pendingByteCount, 0)
        XCTAssertEqual(decoder.flush(), "")
    }

    func testFlushTurnsAnUnfinishedCharacterIntoAReplacement() {
        var decoder = TextStreamDecoder()
        XCTAssertEqual(decoder.push([0x68, 0x69, 0xE2, 0x82]), "hi")
        XCTAssertEqual(decoder.flush(), "\u{FFFD}")
        XCTAssertEqual(decoder.pendingByteCount, 0)
        XCTAssertEqual(decoder.push([0x21]), "!")
    }

    func testBytesThatCanNeverBecomeValidAreNotHeldBack() {
        var decoder = TextStreamDecoder()
        XCTAssertEqual(decoder.push([0xE0, 0x80]), "\u{FFFD}\u{FFFD}")   // E0 needs A0...BF next
        XCTAssertEqual(decoder.push([0xFF]), "\u{FFFD}")
        XCTAssertEqual(decoder.push([0x80]), "\u{FFFD}")                 // a lone continuation byte
        XCTAssertEqual(decoder.push([0xED, 0xA0]), "\u{FFFD}\u{FFFD}")   // a surrogate
        XCTAssertEqual(decoder.pendingByteCount, 0)
    }

    func testStreamedPiecesEqualWholeDecodeOnRandomBytes() {
        var rng = SystemRandomNumberGenerator()
        // Biased towards bytes that form and break multi-byte sequences.
        let pool: [UInt8] = [0x41, 0x20, 0x0A, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xC2, 0xDF,
                             0xE0, 0xE2, 0xED, 0xEF, 0xF0, 0xF4, 0xF5, 0xFF]
        for trial in 0..<2000 {
            var bytes: [UInt8] = []
            for _ in 0..<Int.random(in: 0...24, using: &rng) {
                bytes.append(Bool.random(using: &rng) ? pool.randomElement(using: &rng)! : UInt8.random(in: 0...255, using: &rng))
            }
            // Sometimes mix in whole characters.
            if trial % 3 == 0 { bytes += Array("é€😀".utf8) }
            var decoder = TextStreamDecoder()
            var streamed = ""
            var i = 0
            while i < bytes.count {
                let n = Int.random(in: 1...4, using: &rng)
                let piece = decoder.push(bytes[i..<min(i + n, bytes.count)])
                streamed += piece
                i += n
            }
            streamed += decoder.flush()
            let whole = String(decoding: bytes, as: UTF8.self)
            XCTAssertEqual(streamed, whole, "bytes \(bytes.map { String(format: "%02X", $0) }.joined(separator: " "))")
            if streamed != whole { return }
        }
    }

    func testStreamingRealTokensNeverSplitsACharacter() throws {
        let tokenizer = try TokenizerFactory.make(from: TestModels.open(TestModels.smollm2Path))
        let text = "Emoji 👨‍👩‍👧‍👦 and 🇯🇵, CJK 日本語のテキスト, Hindi नमस्ते, accents e\u{301} ñ — done."
        let ids = tokenizer.encode(text, addSpecial: false, parseSpecial: false)
        var decoder = TextStreamDecoder()
        var pieces: [String] = []
        var heldBack = false
        for id in ids {
            let piece = decoder.push(token: id, from: tokenizer)
            if decoder.pendingByteCount > 0 { heldBack = true }
            XCTAssertFalse(piece.contains("\u{FFFD}"), "token \(id) gave a broken piece \(piece.debugDescription)")
            pieces.append(piece)
        }
        pieces.append(decoder.flush())
        XCTAssertTrue(heldBack, "some character should span several tokens in this text")
        XCTAssertEqual(pieces.joined(), text)
    }
}
