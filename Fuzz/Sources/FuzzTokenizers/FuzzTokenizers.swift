import FuzzSupport
@testable import SwitchyardModels
#if canImport(Glibc)
import Glibc
#endif

/// The real models' tokenizers: SmolLM2's GPT-2 byte-level BPE and Gemma 3's SentencePiece.
let tokenizers: [(name: String, tokenizer: any Tokenizer)] = {
    ["SmolLM2-135M-Instruct.Q4_1.gguf", "gemma-3-270m-q4_k_m.gguf"].map { name in
        let path = SeedHook.modelFolder + "/" + name
        do {
            return (name, try TokenizerFactory.make(from: GGUFFile(path: path)))
        } catch {
            fputs("FuzzTokenizers needs \(path) (scripts/fetch-models.sh): \(error)\n", stderr)
            exit(2)
        }
    }
}()

/// For each tokenizer, which bytes it can write: a byte-level BPE vocabulary may lack the GPT-2
/// characters of some bytes (SmolLM2's has no token for 21 of them, 0x14 among them), and such bytes
/// are dropped when encoding, as llama.cpp drops them.
let writableBytes: [[Bool]] = tokenizers.map { entry in
    guard entry.tokenizer is BPETokenizer else { return [Bool](repeating: true, count: 256) }
    let pieces = Set((0..<entry.tokenizer.vocabularySize).map { entry.tokenizer.piece(of: Int32($0)) })
    return (0..<256).map { pieces.contains(String(Character(Unicode.Scalar(GPT2ByteMap.characters[$0])!))) }
}

/// Fuzz target (c): both tokenizers on arbitrary bytes. Byte 0 picks the mode: bit 0 add-special,
/// bit 1 parse-special, bit 2 decode (the rest read as token ids, in range or not) rather than encode
/// (the rest read as text, invalid UTF-8 replaced). Encoding gives ids inside the vocabulary and,
/// without specials, decodes back to the text (unless it holds a byte the vocabulary cannot write,
/// or, for SentencePiece, `▁`, which becomes a space as in llama.cpp); streaming a decode token by token gives the same text as decoding
/// at once.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTokenizers(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size > 0 else { return 0 }
    let mode = data[0]
    let rest = UnsafeBufferPointer(start: data + 1, count: size - 1)
    let addSpecial = mode & 1 != 0, parseSpecial = mode & 2 != 0
    for ((name, tokenizer), writable) in zip(tokenizers, writableBytes) {
        let ids: [Int32]
        if mode & 4 != 0 {
            ids = stride(from: 0, to: rest.count - 3, by: 4).map { i in
                Int32(bitPattern: UInt32(rest[i]) | UInt32(rest[i + 1]) << 8 | UInt32(rest[i + 2]) << 16 | UInt32(rest[i + 3]) << 24)
            }
            for id in ids { _ = tokenizer.piece(of: id); _ = tokenizer.isEndOfGeneration(id) }
        } else {
            let text = String(decoding: rest, as: UTF8.self)
            ids = tokenizer.encode(text, addSpecial: addSpecial, parseSpecial: parseSpecial)
            for id in ids {
                fuzzCheck(id >= 0 && Int(id) < tokenizer.vocabularySize, "\(name): id \(id) outside the vocabulary of \(tokenizer.vocabularySize)")
            }
            // Scalars, not Characters: a `▁` followed by a combining mark is one Character that
            // `contains("▁")` does not find.
            let lossless = text.utf8.allSatisfy { writable[Int($0)] }
                && !(tokenizer is SentencePieceTokenizer && text.unicodeScalars.contains("\u{2581}"))
            if !addSpecial && !parseSpecial && lossless {
                let back = tokenizer.decode(ids)
                fuzzCheck(back == text, "\(name): \(Array(text.utf8)) decodes back as \(Array(back.utf8)) via \(ids)")
            }
            _ = tokenizer.specialToken(text)
        }
        for renderSpecial in [false, true] {
            var stream = TextStreamDecoder()
            var streamed = ""
            for id in ids { streamed += stream.push(token: id, from: tokenizer, renderSpecial: renderSpecial) }
            streamed += stream.flush()
            let whole = tokenizer.decode(ids, renderSpecial: renderSpecial)
            fuzzCheck(streamed == whole, "\(name): streamed decode \(Array(streamed.utf8)) differs from \(Array(whole.utf8))")
        }
    }
    return 0
}

@_cdecl("LLVMFuzzerInitialize")
public func initialize(_ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>) -> CInt {
    SeedHook.writeSeedsIfAsked { folder in
        // The texts of the tokenizer fixtures (Tests/SwitchyardTests/Fixtures/tokenizer-*.json), each
        // in every mode, are written by fuzz.sh; here, a few of every kind of piece.
        let texts = ["Hello world", "<|im_start|>user\nhi<|im_end|>", "<start_of_turn>user\nhi<end_of_turn>\n",
                     "  spaces\t\ttabs\n\nnewlines ", "12345 3.14 1,000,000", "naïve café — 日本語 😀👍🏽", "▁x ▁▁", "a ▁\u{6D6}b",
                     "'s 're 've 'm 'll 'd", "<0x41>", "\u{0}\u{1}\u{7f}"]
        for (i, text) in texts.enumerated() {
            for mode: UInt8 in [0, 3] { FuzzFile.save([mode] + Array(text.utf8), as: "text-\(i)-\(mode)", in: folder) }
        }
        FuzzFile.save([4] + [1, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 1, 0, 0x40, 0, 0, 0], as: "ids", in: folder)
    }
    _ = writableBytes
    return 0
}
