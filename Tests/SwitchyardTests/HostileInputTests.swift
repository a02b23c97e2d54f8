import Foundation
import XCTest
import Switchyard
@testable import SwitchyardModels

/// Regression tests for what fuzzing found (docs/fuzzing.md): each pins the smallest input that
/// crashed, hung or misled the code before its fix, and the typed one-line error it gets now.
final class HostileInputTests: XCTestCase {
    func write(_ bytes: [UInt8], _ name: String = #function) throws -> String {
        let path = NSTemporaryDirectory() + "switchyard-hostile-\(name.filter(\.isLetter))-\(UUID().uuidString).gguf"
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
        return path
    }

    /// A GGUF file's bytes: the header fields as given, then `rest`.
    func gguf(tensors: UInt64 = 0, keys: UInt64, _ rest: [UInt8]) -> [UInt8] {
        var out: [UInt8] = Array("GGUF".utf8) + le(UInt32(3)) + le(tensors) + le(keys)
        out += rest
        return out
    }
    func le<T: FixedWidthInteger>(_ v: T) -> [UInt8] { withUnsafeBytes(of: v.littleEndian, Array.init) }
    func string(_ s: String) -> [UInt8] { le(UInt64(s.utf8.count)) + Array(s.utf8) }

    func refusal(_ path: String, allowMissingData: Bool = false, shapesOnly: Bool = false,
                 file: StaticString = #filePath, line: UInt = #line) -> GGUFError? {
        do {
            _ = shapesOnly ? try GGUFFile(path: path, shapesOnly: true) : try GGUFFile(path: path, allowMissingData: allowMissingData)
            XCTFail("the file was accepted", file: file, line: line)
        } catch let error as GGUFError {
            XCTAssertFalse(error.description.contains("\n"), "a message of more than one line: \(error)", file: file, line: line)
            return error
        } catch {
            XCTFail("not a GGUFError: \(error)", file: file, line: line)
        }
        return nil
    }

    // MARK: The GGUF reader

    /// FuzzGGUF: a key holding a newline made the error message two lines (and a key could hold
    /// terminal escape sequences). File-controlled text in messages is now escaped.
    func testKeyWithANewlineIsNamedOnOneLine() throws {
        let path = try write(gguf(keys: 1, string("a\nb\u{1B}[2J") + le(UInt32(99))))
        let error = refusal(path)
        XCTAssertEqual(error, .unknownValueType(key: "a\nb\u{1B}[2J", type: 99, offset: 39))
        XCTAssertEqual(error?.description, "GGUF metadata key 'a\\nb\\u{1B}[2J' has unknown value type 99 at byte 39")
    }

    /// A megabyte of key is cut in the message, which stays short.
    func testLongNamesAreCutInMessages() {
        let error = GGUFError.duplicateKey(String(repeating: "k", count: 1 << 20))
        XCTAssertLessThan(error.description.count, 200)
        XCTAssertTrue(error.description.contains("k…'"), error.description)
    }

    /// A negative `general.alignment` trapped converting it to an unsigned number.
    func testNegativeAlignmentIsRefused() throws {
        let path = try write(gguf(keys: 1, string("general.alignment") + le(UInt32(5)) + le(Int32(-1))))
        XCTAssertEqual(refusal(path), .invalidAlignment(0))
    }

    /// Arrays of arrays nested without limit recursed once per level: a file of 12-byte levels could
    /// exhaust the stack. Nesting past `ByteCursor.deepestNesting` is refused.
    func testDeeplyNestedArraysAreRefused() throws {
        let depth = ByteCursor.deepestNesting + 1
        var value: [UInt8] = []
        for _ in 0..<depth { value += le(UInt32(9)) + le(UInt64(1)) }   // array of 1 array, ...
        value += le(UInt32(0)) + le(UInt64(0))                          // ... of no uint8
        let path = try write(gguf(keys: 1, string("n") + le(UInt32(9)) + value))
        XCTAssertEqual(refusal(path), .nestingTooDeep(key: "n", offset: 37 + 12 * ByteCursor.deepestNesting))
        // A hundred thousand levels (1.2 MB) end the same way, not in a stack overflow.
        var deep: [UInt8] = []
        for _ in 0..<100_000 { deep += le(UInt32(9)) + le(UInt64(1)) }
        guard case .nestingTooDeep = refusal(try write(gguf(keys: 1, string("n") + le(UInt32(9)) + deep))) else {
            return XCTFail("a deep nest was not refused as such")
        }
    }

    /// A header-only read (`allowMissingData`) took a tensor offset past `Int.max` and trapped
    /// converting it; offsets and sizes past an exbibyte are now refused even where data may be missing.
    func testHugeOffsetInAHeaderOnlyFileIsRefused() throws {
        let tensor = string("t") + le(UInt32(1)) + le(UInt64(32)) + le(UInt32(0)) + le(UInt64(1) << 63)
        let path = try write(gguf(tensors: 1, keys: 0, tensor))
        XCTAssertEqual(refusal(path, allowMissingData: true), .tensorOutOfBounds(tensor: "t", offset: 1 << 63, size: 128, fileSize: 57))
        XCTAssertEqual(refusal(path, shapesOnly: true), .tensorOutOfBounds(tensor: "t", offset: 1 << 63, size: 128, fileSize: 57))
    }

    /// Opened for its shapes alone, a file claiming a 4-PiB tensor stopped the process (a
    /// precondition on reserving that much address space); it is now a typed refusal.
    func testShapeTooLargeToStandInForIsRefused() throws {
        let tensor = string("t") + le(UInt32(1)) + le(UInt64(1) << 50) + le(UInt32(0)) + le(UInt64(0))
        let path = try write(gguf(tensors: 1, keys: 0, tensor))
        XCTAssertEqual(refusal(path, shapesOnly: true), .shapeTooLarge(tensor: "t", size: 1 << 52))
        // Without data the file is still read (its tensors simply have none).
        XCTAssertNil(try GGUFFile(path: path, allowMissingData: true).weight("t"))
    }

    // MARK: Architectures

    /// The metadata and tensor shapes of a one-layer gemma3 model, as a header-only file (no data).
    func gemmaHeader(_ overrides: [String: GGUFValue] = [:]) throws -> GGUFFile {
        var meta: [(String, GGUFValue)] = [
            ("general.architecture", .string("gemma3")), ("gemma3.block_count", .uint32(1)),
            ("gemma3.context_length", .uint32(64)), ("gemma3.embedding_length", .uint32(32)),
            ("gemma3.feed_forward_length", .uint32(64)), ("gemma3.attention.head_count", .uint32(2)),
            ("gemma3.attention.head_count_kv", .uint32(1)), ("gemma3.attention.key_length", .uint32(16)),
            ("gemma3.attention.layer_norm_rms_epsilon", .float32(1e-6)), ("gemma3.attention.sliding_window", .uint32(4)),
        ]
        meta = meta.map { ($0.0, overrides[$0.0] ?? $0.1) } + overrides.filter { o in !meta.contains { $0.0 == o.key } }.map { ($0.key, $0.value) }
        let d = 32, ffn = 64, hd = 16
        let shapes: [(String, [Int])] = [
            ("token_embd.weight", [8, d]), ("blk.0.attn_norm.weight", [d]), ("blk.0.attn_q.weight", [2 * hd, d]),
            ("blk.0.attn_k.weight", [hd, d]), ("blk.0.attn_v.weight", [hd, d]), ("blk.0.attn_q_norm.weight", [hd]),
            ("blk.0.attn_k_norm.weight", [hd]), ("blk.0.attn_output.weight", [d, 2 * hd]),
            ("blk.0.post_attention_norm.weight", [d]), ("blk.0.ffn_norm.weight", [d]), ("blk.0.ffn_gate.weight", [ffn, d]),
            ("blk.0.ffn_up.weight", [ffn, d]), ("blk.0.ffn_down.weight", [d, ffn]), ("blk.0.post_ffw_norm.weight", [d]),
            ("output_norm.weight", [d]),
        ]
        var writer = GGUFWriter()
        writer.metadata = meta
        writer.tensors = shapes.map { .init(name: $0.0, shape: $0.1, format: .f32, bytes: []) }
        return try GGUFFile(path: try write(writer.serialize(headerOnly: true), "gemma\(UUID().uuidString)"), shapesOnly: true)
    }

    /// The file as written builds graphs (so the refusals below are the overrides' doing).
    func testTheGemmaHeaderBuildsAGraph() throws {
        let architecture = try XCTUnwrap(try ArchitectureRegistry.load(try gemmaHeader()) as? Gemma3Architecture)
        XCTAssertFalse(architecture.graph(tokens: 1, contextLength: 64, maxBatch: 8, logits: .last).nodes.isEmpty)
    }

    /// Query heads times their width overflowed `Int` (a trap) before any tensor was looked at.
    func testQueryWidthThatOverflowsIsRefused() throws {
        let file = try gemmaHeader(["gemma3.attention.head_count": .uint64(1 << 32), "gemma3.attention.head_count_kv": .uint64(1 << 32),
                                    "gemma3.attention.key_length": .uint64(1 << 32)])
        XCTAssertThrowsError(try ArchitectureRegistry.load(file)) { error in
            guard case ModelError.invalidMetadata(let key, _) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(key, "gemma3.attention.key_length")
        }
    }

    /// A sliding window near `Int.max` overflowed adding the batch to it when sizing the layer's
    /// cache; such a window now simply covers the whole context.
    func testHugeSlidingWindowCoversTheContext() throws {
        let file = try gemmaHeader(["gemma3.attention.sliding_window": .int64(.max)])
        let architecture = try XCTUnwrap(try ArchitectureRegistry.load(file) as? Gemma3Architecture)
        let graph = architecture.graph(tokens: 1, contextLength: 64, maxBatch: 8, logits: .last)
        let cache = try XCTUnwrap(graph.values.first { $0.name == "blk.0.cache_k" })
        XCTAssertEqual(cache.shape, [64, 16])
    }

    /// Mutation run (Gemma 3, `block_count` set to 2^31 − 1): the sliding-layer pattern was built
    /// for every claimed block, two billion of them, before any tensor was looked for: a hang and a
    /// 2 GB allocation from a count the file claims. The count is checked against the file's
    /// tensors first.
    func testBlockCountBeyondTheFilesTensorsIsRefused() throws {
        let file = try gemmaHeader(["gemma3.block_count": .uint32(0x7FFF_FFFF)])
        XCTAssertThrowsError(try ArchitectureRegistry.load(file)) { error in
            XCTAssertEqual(error as? ModelError, .invalidMetadata(key: "gemma3.block_count",
                                                                  reason: "2147483647 blocks need 13 tensors each, but the file holds 15 tensors"))
        }
    }

    /// A float hyperparameter beyond `Float`'s range (a float64 of 1e300) became infinity and ran as
    /// such: a silent wrong answer. It is refused now.
    func testHyperparameterBeyondFloatRangeIsRefused() throws {
        let file = try gemmaHeader(["gemma3.rope.freq_base": .float64(1e300)])
        XCTAssertThrowsError(try ArchitectureRegistry.load(file)) { error in
            XCTAssertEqual((error as? ModelError).map { if case .invalidMetadata(let key, _) = $0 { return key } else { return "" } }, "gemma3.rope.freq_base")
        }
    }

    // MARK: Model and tokenizer messages

    /// Architecture names, metadata values and tokenizer names from the file are escaped in messages.
    func testFileTextInModelAndTokenizerErrorsIsEscaped() {
        XCTAssertEqual(ModelError.unknownArchitecture("x\ny", known: ["llama"]).description,
                       "architecture 'x\\ny' is not supported (supported: llama)")
        XCTAssertFalse(TokenizerError.unsupportedPreTokenizer("p\r\n\u{202E}").description.contains("\n"))
        XCTAssertEqual(GGUFValue.string("two\nlines").summary, "\"two\\nlines\"")
    }

    // MARK: User text

    /// FuzzUserText: with stop strings ["b", "a"], "ab" came out as "a": the filter stopped at the
    /// first stop string in the list that occurs, not at the one that occurs first, and let a stop
    /// string through.
    func testTheEarliestStopStringEndsTheText() {
        var filter = StopStringFilter(["b", "a"])
        let (ready, stopped) = filter.push("ab")
        XCTAssertTrue(stopped)
        XCTAssertEqual(ready, "")
        var streamed = StopStringFilter(["\n\nUser:", "\n"])
        XCTAssertEqual(streamed.push("Sure.\n\nUser: hi").ready, "Sure.")
    }
}
