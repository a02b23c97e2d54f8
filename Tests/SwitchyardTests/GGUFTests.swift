import Foundation
import XCTest
import Switchyard
import SwitchyardModels

/// The GGUF reader on real files, on files it writes itself, and on broken files: every broken file
/// is refused with the error that names what is wrong, never a crash.
final class GGUFTests: XCTestCase {
    /// A small valid file: two tensors of different formats and some metadata.
    static func sampleWriter() -> GGUFWriter {
        var w = GGUFWriter()
        w.metadata = [
            ("general.architecture", .string("llama")),
            ("general.name", .string("tiny")),
            ("tiny.values", .array(.int32, [.int32(1), .int32(-2), .int32(3)])),
            ("tiny.eps", .float32(1e-5)),
        ]
        w.tensors = [
            .init(name: "a", shape: [2, 32], format: .q8_0, bytes: (0..<(2 * 34)).map { UInt8(truncatingIfNeeded: $0 * 7 + 1) }),
            .init(name: "b", shape: [3], format: .f32, bytes: [Float(1), 2, 3].flatMap { f in withUnsafeBytes(of: f.bitPattern.littleEndian, Array.init) }),
        ]
        return w
    }

    func write(_ bytes: [UInt8], _ name: String = #function) throws -> String {
        let path = NSTemporaryDirectory() + "switchyard-\(name.filter(\.isLetter))-\(UUID().uuidString).gguf"
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
        return path
    }

    func assertRefused(_ bytes: [UInt8], file: StaticString = #filePath, line: UInt = #line, _ check: (GGUFError) -> Bool) throws {
        let path = try write(bytes)
        XCTAssertThrowsError(try GGUFFile(path: path), file: file, line: line) { error in
            guard let e = error as? GGUFError else { return XCTFail("not a GGUFError: \(error)", file: file, line: line) }
            XCTAssertTrue(check(e), "unexpected error: \(e)", file: file, line: line)
            XCTAssertFalse(e.description.isEmpty)
        }
    }

    func testWrittenFileReadsBack() throws {
        let file = try GGUFFile(path: try write(Self.sampleWriter().serialize()))
        XCTAssertEqual(file.version, 3)
        XCTAssertEqual(file.architecture, "llama")
        XCTAssertEqual(file.metadata["tiny.values"]?.intArray, [1, -2, 3])
        XCTAssertEqual(file.metadataKeys, ["general.architecture", "general.name", "tiny.values", "tiny.eps"])
        let b = try XCTUnwrap(file.weight("b"))
        XCTAssertEqual(b.format, .f32)
        XCTAssertEqual(Array(b.bytes.bindMemory(to: Float.self)), [1, 2, 3])
        XCTAssertEqual(file.tensorInfo("a")?.shape, [2, 32])
        XCTAssertEqual(file.weight("a")?.bytes.count, 68)
        XCTAssertEqual(file.dataSectionOffset % 32, 0)
    }

    func testLargeArraysStayMappedAndDecodeExactly() throws {
        var w = GGUFWriter()
        let strings = (0..<3000).map { "piece \($0) ✓" }
        let ints = (0..<3000).map { Int32($0 * 7 - 5000) }
        let floats = (0..<3000).map { Float($0) * -0.25 }
        w.metadata = [("big.strings", .array(.string, strings.map { .string($0) })),
                      ("big.ints", .array(.int32, ints.map { .int32($0) })),
                      ("big.floats", .array(.float32, floats.map { .float32($0) }))]
        let bytes = w.serialize()
        let file = try GGUFFile(path: try write(bytes))
        guard case .mappedArray = file.metadata["big.strings"]! else { return XCTFail("a 3,000-element array should stay mapped") }
        XCTAssertEqual(file.metadata["big.strings"]?.stringArray, strings)
        XCTAssertEqual(file.metadata["big.ints"]?.intArray, ints.map(Int.init))
        XCTAssertEqual(file.metadata["big.floats"]?.floatArray, floats)
        XCTAssertEqual(file.metadata["big.ints"]?.arrayCount, 3000)
        XCTAssertNil(file.metadata["big.ints"]?.stringArray)
        XCTAssertTrue(file.metadata["big.strings"]!.summary.hasPrefix("[string × 3000] \"piece 0 ✓\""), file.metadata["big.strings"]!.summary)
        // Written back, the file is the same bytes.
        var again = GGUFWriter()
        again.metadata = file.metadataKeys.map { ($0, file.metadata[$0]!) }
        XCTAssertEqual(again.serialize(), bytes)
        // Once their pages are given back, mapped arrays read the same from the file again.
        file.releaseMetadataPages()
        XCTAssertEqual(file.metadata["big.strings"]?.stringArray, strings)
        XCTAssertEqual(file.metadata["big.floats"]?.floatArray, floats)
        // A truncated array is still refused while reading the header.
        try assertRefused(Array(bytes.prefix(bytes.count / 2))) { if case .truncated = $0 { return true }; return false }
    }

    func testRealSmolLM2Header() throws {
        let file = try TestModels.open(TestModels.smollm2Path)
        XCTAssertEqual(file.architecture, "llama")
        XCTAssertEqual(file.tensors.count, 272)
        XCTAssertEqual(file.metadata["llama.block_count"]?.int, 30)
        XCTAssertEqual(file.tensorInfo("token_embd.weight")?.shape, [49152, 576])
        XCTAssertEqual(file.tensorInfo("token_embd.weight")?.format, .q8_0)
        XCTAssertEqual(file.tensorInfo("blk.0.attn_q.weight")?.format, .q4_1)
        XCTAssertEqual(file.metadata["tokenizer.ggml.tokens"]?.array?.count, 49152)
    }

    func testEveryTruncationIsRefusedCleanly() throws {
        let bytes = Self.sampleWriter().serialize()
        // Cut the file at every length up to the data section and a few inside it.
        let file = try GGUFFile(path: try write(bytes))
        let cuts = Array(0..<file.dataSectionOffset) + [file.dataSectionOffset + 10, bytes.count - 1]
        for cut in cuts {
            let path = try write(Array(bytes[0..<cut]), "cut\(cut)")
            XCTAssertThrowsError(try GGUFFile(path: path), "a file cut at \(cut) bytes was accepted") { error in
                XCTAssertTrue(error is GGUFError, "cut at \(cut): \(error)")
            }
        }
    }

    func testTruncatedRealModelNamesTheTensorPastTheEnd() throws {
        let source = try TestModels.open(TestModels.smollm2Path)
        let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: TestModels.smollm2Path))
        let head = try handle.read(upToCount: source.dataSectionOffset + 1_000_000)!
        try assertRefused(Array(head)) {
            if case .tensorOutOfBounds(let name, _, _, let size) = $0 { return !name.isEmpty && size == source.dataSectionOffset + 1_000_000 }
            return false
        }
    }

    func testTensorOffsetPastTheEndIsRefused() throws {
        var w = Self.sampleWriter()
        var bytes = w.serialize()
        // Rewrite tensor b's offset (the last u64 of the header before the padding) to a huge value.
        let file = try GGUFFile(path: try write(bytes))
        let bOffsetPosition = try headerOffset(ofTensorOffset: "b", in: bytes, file: file)
        withUnsafeBytes(of: UInt64(1 << 40).littleEndian) { bytes.replaceSubrange(bOffsetPosition..<bOffsetPosition + 8, with: $0) }
        try assertRefused(bytes) {
            if case .tensorOutOfBounds(let name, let offset, _, _) = $0 { return name == "b" && offset == 1 << 40 }
            return false
        }
        // A misaligned offset is refused too.
        withUnsafeBytes(of: UInt64(3).littleEndian) { bytes.replaceSubrange(bOffsetPosition..<bOffsetPosition + 8, with: $0) }
        try assertRefused(bytes) {
            if case .misalignedTensor(let name, 3, 32) = $0 { return name == "b" }
            return false
        }
        w.tensors = []
        XCTAssertNoThrow(try GGUFFile(path: try write(w.serialize())))
    }

    func testUnknownTensorTypeIsRefusedByName() throws {
        var bytes = Self.sampleWriter().serialize()
        let file = try GGUFFile(path: try write(bytes))
        let typePosition = try headerOffset(ofTensorOffset: "a", in: bytes, file: file) - 4
        for (id, name) in [(UInt32(99), "unknown"), (7, "Q5_1"), (13, "Q5_K")] {
            withUnsafeBytes(of: id.littleEndian) { bytes.replaceSubrange(typePosition..<typePosition + 4, with: $0) }
            try assertRefused(bytes) {
                if case .unsupportedTensorType("a", id, name, typePosition) = $0 { return true }
                return false
            }
        }
    }

    func testCorruptHeaderFieldsAreRefused() throws {
        let good = Self.sampleWriter().serialize()
        func patched(_ offset: Int, _ value: UInt64, width: Int = 8) -> [UInt8] {
            var b = good
            withUnsafeBytes(of: value.littleEndian) { b.replaceSubrange(offset..<offset + width, with: $0.prefix(width)) }
            return b
        }
        try assertRefused(patched(0, 0x4655_4746, width: 4)) { if case .notGGUF = $0 { return true }; return false }
        try assertRefused(patched(4, 7, width: 4)) { $0 == .unsupportedVersion(7) }
        try assertRefused(patched(8, UInt64.max)) { if case .implausibleCount("tensor count", _, 8) = $0 { return true }; return false }
        try assertRefused(patched(16, 1 << 50)) { if case .implausibleCount("metadata count", _, 16) = $0 { return true }; return false }
        // First key's length: huge.
        try assertRefused(patched(24, 1 << 60)) { if case .truncated = $0 { return true }; return false }
        // First value's type: unknown.
        let typeOffset = 24 + 8 + "general.architecture".utf8.count
        try assertRefused(patched(typeOffset, 42, width: 4)) { if case .unknownValueType("general.architecture", 42, _) = $0 { return true }; return false }
        try assertRefused([]) { if case .truncated("magic", 0, 0) = $0 { return true }; return false }
    }

    func testMissingFileIsCannotOpen() {
        XCTAssertThrowsError(try GGUFFile(path: "/nonexistent/model.gguf")) { error in
            guard case .cannotOpen(let path, let reason) = error as? GGUFError else { return XCTFail("\(error)") }
            XCTAssertEqual(path, "/nonexistent/model.gguf")
            XCTAssertTrue(reason.contains("No such file"), reason)
        }
        XCTAssertThrowsError(try ModelLocator.resolve("no-such-model")) { error in
            XCTAssertTrue("\(error)".contains("not found"), "\(error)")
        }
    }

    /// Byte position, in the header, of tensor `name`'s data-offset field.
    private func headerOffset(ofTensorOffset name: String, in bytes: [UInt8], file: GGUFFile) throws -> Int {
        // Tensor infos follow the metadata; find the name followed by its dims, type and offset.
        let needle = Array(name.utf8)
        var i = 24
        while i + 8 + needle.count <= file.dataSectionOffset {
            let length = bytes[i..<i + 8].withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }
            if length == UInt64(needle.count), Array(bytes[i + 8..<i + 8 + needle.count]) == needle {
                let dimsAt = i + 8 + needle.count
                let nDims = Int(bytes[dimsAt..<dimsAt + 4].withUnsafeBytes { $0.loadUnaligned(as: UInt32.self) })
                if nDims >= 1 && nDims <= 4 { return dimsAt + 4 + 8 * nDims + 4 }
            }
            i += 1
        }
        throw XCTSkip("tensor \(name) not found in header")
    }
}
