import Foundation
import XCTest
import Switchyard
import SwitchyardModels
import SwitchyardReference

/// Pins `Dequantize` and `HalfFloat` to ggml bit for bit: against the `gguf` Python package on rows
/// and whole tensors of the real models and on synthetic blocks of every format
/// (Fixtures/dequant-fixtures.json, made by scripts/fixtures/make_dequant_fixtures.py), and against
/// single blocks worked out by hand. Values are compared as bit patterns, so -0 differs from +0.
final class DequantizeTests: XCTestCase {

    // MARK: - Against the gguf package

    func testDequantizeMatchesGGUFPackageOnRealRows() throws {
        let fixture = try DequantFixture.load()
        XCTAssertEqual(fixture.models.count, 2)
        for model in fixture.models {
            let file = try TestModels.open(TestModels.folder + "/" + model.file)
            // Every format the file uses has rows in the fixture.
            let formatsInFile = Set(file.tensors.map(\.format.rawValue))
            XCTAssertEqual(Set(model.rowCases.map(\.format)), formatsInFile, "formats of \(model.file)")
            for rowCase in model.rowCases {
                let weight = try XCTUnwrap(file.weight(rowCase.tensor), "\(rowCase.tensor) not in \(model.file)")
                XCTAssertEqual(weight.format.rawValue, rowCase.format, rowCase.tensor)
                XCTAssertEqual(weight.shape, rowCase.shape, rowCase.tensor)
                let expected = try decodeFloatBits(rowCase.expected)
                XCTAssertEqual(expected.count, rowCase.rows.count * weight.rowLength, rowCase.tensor)
                for (k, row) in rowCase.rows.enumerated() {
                    let slice = Array(expected[k * weight.rowLength ..< (k + 1) * weight.rowLength])
                    assertBitsEqual(Dequantize.rows(of: weight, row ..< row + 1), slice,
                                    "\(model.file) \(rowCase.tensor) (\(rowCase.format)) row \(row)")
                }
                // Several rows at once read the same as one at a time.
                if rowCase.rows.starts(with: [0, 1]) {
                    assertBitsEqual(Dequantize.rows(of: weight, 0 ..< 2), Array(expected[0 ..< 2 * weight.rowLength]),
                                    "\(model.file) \(rowCase.tensor) (\(rowCase.format)) rows 0..<2")
                }
            }
        }
    }

    func testEveryTensorOfBothModelsMatchesGGUFPackageChecksums() throws {
        let fixture = try DequantFixture.load()
        for model in fixture.models {
            let file = try TestModels.open(TestModels.folder + "/" + model.file)
            XCTAssertEqual(model.checksums.map(\.tensor), file.tensors.map(\.name), "tensor list of \(model.file)")
            for entry in model.checksums {
                let weight = try XCTUnwrap(file.weight(entry.tensor))
                let (sum, weightedSum) = checksums(of: weight)
                let what = "\(model.file) \(entry.tensor) (\(entry.format))"
                XCTAssertEqual(hex(sum), hex(try XCTUnwrap(UInt64(entry.sum, radix: 16))), "sum of \(what)")
                XCTAssertEqual(hex(weightedSum), hex(try XCTUnwrap(UInt64(entry.weightedSum, radix: 16))), "weighted sum of \(what)")
            }
        }
    }

    func testSyntheticF16BF16Q40MatchGGUFPackage() throws {
        let cases = try DequantFixture.load().synthetic.filter { ["f16", "bf16", "q4_0"].contains($0.format) }
        XCTAssertEqual(Set(cases.map(\.format)), ["f16", "bf16", "q4_0"])
        for synthetic in cases { try assertMatches(synthetic) }
    }

    func testRandomBlocksOfEveryFormatMatchGGUFPackage() throws {
        let cases = try DequantFixture.load().synthetic.filter { !["f16", "bf16", "q4_0"].contains($0.format) }
        XCTAssertEqual(Set(cases.map(\.format)), ["f32", "q4_1", "q5_0", "q8_0", "q4_K", "q6_K"])
        for synthetic in cases { try assertMatches(synthetic) }
    }

    // MARK: - One block, worked out by hand

    func testQ4_0BlockByHand() {
        // d = 0.5; byte j holds nibble j (element j) and nibble 15 - j (element j + 16).
        var block: [UInt8] = [0x00, 0x38]
        block += (0..<16).map { UInt8($0) | UInt8(15 - $0) << 4 }
        let expected: [Float] = [-4, -3.5, -3, -2.5, -2, -1.5, -1, -0.5, 0, 0.5, 1, 1.5, 2, 2.5, 3, 3.5,
                                 3.5, 3, 2.5, 2, 1.5, 1, 0.5, 0, -0.5, -1, -1.5, -2, -2.5, -3, -3.5, -4]
        assertBitsEqual(dequantize(.q4_0, block), expected, "Q4_0 d=0.5")
    }

    func testQ4_1BlockByHand() {
        // d = 0.25, m = -1; low nibbles 0...15, high nibbles 15...0.
        var block: [UInt8] = [0x00, 0x34, 0x00, 0xBC]
        block += (0..<16).map { UInt8($0) | UInt8(15 - $0) << 4 }
        let expected: [Float] = [-1, -0.75, -0.5, -0.25, 0, 0.25, 0.5, 0.75, 1, 1.25, 1.5, 1.75, 2, 2.25, 2.5, 2.75,
                                 2.75, 2.5, 2.25, 2, 1.75, 1.5, 1.25, 1, 0.75, 0.5, 0.25, 0, -0.25, -0.5, -0.75, -1]
        assertBitsEqual(dequantize(.q4_1, block), expected, "Q4_1 d=0.25 m=-1")
    }

    func testQ5_0BlockByHand() {
        // d = 2; qh = 0x0001_8000: the fifth bit is set for element 15 and element 16 only.
        var block: [UInt8] = [0x00, 0x40, 0x00, 0x80, 0x01, 0x00]
        block += (0..<16).map { UInt8($0) | UInt8(15 - $0) << 4 }
        let expected: [Float] = [-32, -30, -28, -26, -24, -22, -20, -18, -16, -14, -12, -10, -8, -6, -4, 30,
                                 30, -4, -6, -8, -10, -12, -14, -16, -18, -20, -22, -24, -26, -28, -30, -32]
        assertBitsEqual(dequantize(.q5_0, block), expected, "Q5_0 d=2")
    }

    func testQ8_0BlockByHand() {
        // d = -0.125 (a negative scale, so a zero quant gives -0).
        let quants: [Int8] = [-128, -127, -1, 0, 1, 127] + Array(repeating: 2, count: 26)
        let block: [UInt8] = [0x00, 0xB0] + quants.map { UInt8(bitPattern: $0) }
        let expected: [Float] = [16, 15.875, 0.125, -0.0, -0.125, -15.875] + Array(repeating: -0.25, count: 26)
        assertBitsEqual(dequantize(.q8_0, block), expected, "Q8_0 d=-0.125")
    }

    func testQ4KBlockByHand() {
        // d = 1, dmin = 0.5; sub-block scales and mins chosen so that 4..7 use their high 2 bits.
        let scales: [UInt8] = [1, 2, 3, 4, 17, 33, 48, 63]
        let mins: [UInt8] = [0, 5, 10, 15, 20, 40, 50, 63]
        var packed = [UInt8](repeating: 0, count: 12)
        for j in 0..<4 {
            packed[j] = scales[j] | (scales[j + 4] >> 4) << 6
            packed[j + 4] = mins[j] | (mins[j + 4] >> 4) << 6
            packed[j + 8] = (scales[j + 4] & 0x0F) | (mins[j + 4] & 0x0F) << 4
        }
        // Each 32-byte group: byte l holds quant l % 16 (low nibble) and 15 - l % 16 (high nibble).
        let quants = (0..<128).map { UInt8($0 % 16) | UInt8(15 - $0 % 16) << 4 }
        let block: [UInt8] = [0x00, 0x3C, 0x00, 0x38] + packed + quants
        let values = dequantize(.q4K, block)
        // A few elements worked out: x = scale · q - 0.5 · min.
        assertBitsEqual([values[0], values[5], values[32], values[131], values[161], values[207], values[255]],
                        [0, 5, 27.5, 41, 442, 695, -31.5], "Q4_K chosen elements")
        // All of them: element e is in sub-block e / 32; its quant is a low nibble when (e / 32) is even.
        let expected = (0..<256).map { e -> Float in
            let sub = e / 32, l = e % 32
            let q = sub % 2 == 0 ? l % 16 : 15 - l % 16
            return Float(scales[sub]) * Float(q) - 0.5 * Float(mins[sub])
        }
        assertBitsEqual(values, expected, "Q4_K d=1 dmin=0.5")
    }

    func testQ6KBlockByHand() {
        // d = 0.5; sub-block scales 1, -1, 2, -2, ...; element e has quant e % 64 (so q - 32 runs -32...31).
        let scales: [Int8] = [1, -1, 2, -2, 3, -3, 4, -4, 5, -5, 6, -6, 7, -7, 8, -8]
        var ql = [UInt8](repeating: 0, count: 128), qh = [UInt8](repeating: 0, count: 64)
        for e in 0..<256 {
            let q = UInt8(e % 64)
            let half = e / 128, quarter = (e % 128) / 32, l = e % 32
            let lowIndex = 64 * half + l + (quarter % 2 == 1 ? 32 : 0)
            ql[lowIndex] |= quarter < 2 ? (q & 0x0F) : (q & 0x0F) << 4
            qh[32 * half + l] |= (q >> 4) << (2 * quarter)
        }
        let block: [UInt8] = ql + qh + scales.map { UInt8(bitPattern: $0) } + [0x00, 0x38]
        let values = dequantize(.q6K, block)
        // Element 0: 0.5·1·(0-32) = -16; 17: 0.5·(-1)·(17-32) = 7.5; 100: 0.5·4·(36-32) = 8;
        // 255: 0.5·(-8)·(63-32) = -124.
        assertBitsEqual([values[0], values[17], values[100], values[255]], [-16, 7.5, 8, -124], "Q6_K chosen elements")
        let expected = (0..<256).map { e in 0.5 * Float(scales[e / 16]) * Float(e % 64 - 32) }
        assertBitsEqual(values, expected, "Q6_K d=0.5")
    }

    func testPlainFloatFormatsByHand() {
        let f32: [Float] = [1.5, -0.0, .infinity, Float(bitPattern: 0x7FA0_0001)]
        assertBitsEqual(dequantize(.f32, f32.flatMap { littleEndianBytes($0.bitPattern) }), f32, "F32 copy")
        let f16: [UInt16] = [0x3C00, 0xC100, 0x8000, 0x0001]
        assertBitsEqual(dequantize(.f16, f16.flatMap { littleEndianBytes($0) }), [1, -2.5, -0.0, 0x1p-24], "F16")
        let bf16: [UInt16] = [0x3F80, 0xC020, 0x8000, 0x0001]
        assertBitsEqual(dequantize(.bf16, bf16.flatMap { littleEndianBytes($0) }), [1, -2.5, -0.0, 0x1p-133], "BF16")
    }

    func testRowsOfWeightTensorReadsTheRightRows() {
        // A 3 × 64 Q8_0 matrix: row r has d = r + 1 in both blocks and quants 0...31.
        var bytes: [UInt8] = []
        let scales: [UInt16] = [0x3C00, 0x4000, 0x4200]   // 1, 2, 3
        for r in 0..<3 {
            for _ in 0..<2 { bytes += littleEndianBytes(scales[r]) + (0..<32).map { UInt8($0) } }
        }
        let storage = ByteStorage(bytes)
        let weight = WeightTensor(name: "toy", format: .q8_0, shape: [3, 64],
                                  bytes: UnsafeRawBufferPointer(storage.pointer), owner: storage)
        let rows = Dequantize.rows(of: weight, 1 ..< 3)
        let expected = (1..<3).flatMap { r in (0..<64).map { Float(r + 1) * Float($0 % 32) } }
        assertBitsEqual(rows, expected, "rows 1..<3 of a 3 × 64 Q8_0 matrix")
        XCTAssertEqual(Dequantize.rows(of: weight, 2 ..< 2), [])
    }

    // MARK: - Half floats

    func testFP16DecodingEdgeCases() {
        let cases: [(UInt16, UInt32, String)] = [
            (0x0000, 0x0000_0000, "+0"), (0x8000, 0x8000_0000, "-0"),
            (0x0001, 0x3380_0000, "smallest subnormal 2^-24"), (0x8001, 0xB380_0000, "-2^-24"),
            (0x03FF, 0x387F_C000, "largest subnormal"), (0x0400, 0x3880_0000, "smallest normal 2^-14"),
            (0x3C00, 0x3F80_0000, "1"), (0xC000, 0xC000_0000, "-2"), (0x7BFF, 0x477F_E000, "65504"),
            (0x7C00, 0x7F80_0000, "+inf"), (0xFC00, 0xFF80_0000, "-inf"),
            (0x7E00, 0x7FC0_0000, "quiet NaN"), (0xFE01, 0xFFC0_2000, "negative quiet NaN with payload"),
            (0x7C01, 0x7FC0_2000, "signalling NaN comes out quiet, payload kept"),
            (0x7D55, 0x7FEA_A000, "signalling NaN with a longer payload"),
        ]
        for (half, float, what) in cases {
            XCTAssertEqual(hex(HalfFloat.float(fromFP16: half).bitPattern), hex(float), "fp16 \(hex(half)): \(what)")
        }
    }

    func testBF16DecodingEdgeCases() {
        let cases: [(UInt16, UInt32, String)] = [
            (0x0000, 0x0000_0000, "+0"), (0x8000, 0x8000_0000, "-0"), (0x0001, 0x0001_0000, "subnormal 2^-133"),
            (0x3F80, 0x3F80_0000, "1"), (0x7F80, 0x7F80_0000, "+inf"), (0xFF80, 0xFF80_0000, "-inf"),
            (0x7FC0, 0x7FC0_0000, "quiet NaN"), (0x7F81, 0x7F81_0000, "signalling NaN kept as it is"),
        ]
        for (bf, float, what) in cases {
            XCTAssertEqual(hex(HalfFloat.float(fromBF16: bf).bitPattern), hex(float), "bf16 \(hex(bf)): \(what)")
        }
    }

    func testFP16DecodingMatchesFloat16ForEveryBitPattern() throws {
        #if os(macOS) && arch(x86_64)
        throw XCTSkip("Float16 is unavailable on Intel macOS")
        #else
        var mismatches: [String] = []
        for bits in 0...UInt16.max {
            let ours = HalfFloat.float(fromFP16: bits)
            let theirs = Float(Float16(bitPattern: bits))
            let same = ours.isNaN ? theirs.isNaN && ours.bitPattern == (theirs.bitPattern | 0x0040_0000)
                                  : ours.bitPattern == theirs.bitPattern
            if !same { mismatches.append("\(hex(bits)): \(hex(ours.bitPattern)) vs \(hex(theirs.bitPattern))") }
        }
        XCTAssert(mismatches.isEmpty, "\(mismatches.count) fp16 patterns decode differently: \(mismatches.prefix(8))")
        #endif
    }

    func testFP16EncodingEdgeCases() {
        let cases: [(Float, UInt16, String)] = [
            (0, 0x0000, "+0"), (-0.0, 0x8000, "-0"), (1, 0x3C00, "1"), (65504, 0x7BFF, "largest half"),
            (65519.996, 0x7BFF, "just below the halfway point to infinity"), (65520, 0x7C00, "halfway: to infinity"),
            (1e10, 0x7C00, "overflow"), (-.infinity, 0xFC00, "-inf"),
            (0x1p-25, 0x0000, "2^-25: a tie, to even zero"), (-0x1p-25, 0x8000, "-2^-25 to -0"),
            (0x1.000002p-25, 0x0001, "just above 2^-25"), (0x1.8p-24, 0x0002, "1.5 ulp: tie to even 2"),
            (0x1.4p-23, 0x0002, "2.5 ulp: tie to even 2"), (0x1.ffcp-15, 0x0400, "rounds up into the normals"),
            (1 + 0x1p-11, 0x3C00, "tie between 1 and its successor: to even 1"),
            (1 + 0x1.8p-10, 0x3C02, "tie between 1+2^-10 and 1+2^-9: to even"),
            (Float(bitPattern: 0x7FC0_0000), 0x7E00, "quiet NaN"),
            (Float(bitPattern: 0xFF80_2000), 0xFE01, "signalling NaN: quiet, payload top bits kept"),
        ]
        for (value, half, what) in cases {
            XCTAssertEqual(hex(HalfFloat.fp16(from: value)), hex(half), "fp16(from: \(value)): \(what)")
        }
        // Every non-NaN half survives a round trip.
        for bits in 0...UInt16.max where bits & 0x7C00 != 0x7C00 || bits & 0x03FF == 0 {
            let back = HalfFloat.fp16(from: HalfFloat.float(fromFP16: bits))
            if back != bits { XCTFail("fp16 \(hex(bits)) round-trips to \(hex(back))"); break }
        }
    }

    func testFP16EncodingMatchesFloat16OnRandomFloats() throws {
        #if os(macOS) && arch(x86_64)
        throw XCTSkip("Float16 is unavailable on Intel macOS")
        #else
        var generator = SystemRandomNumberGenerator()
        var mismatches: [String] = []
        for _ in 0..<200_000 {
            let value = Float(bitPattern: generator.next())
            if value.isNaN { continue }
            let ours = HalfFloat.fp16(from: value), theirs = Float16(value).bitPattern
            if ours != theirs { mismatches.append("\(value) (\(hex(value.bitPattern))): \(hex(ours)) vs \(hex(theirs))") }
        }
        XCTAssert(mismatches.isEmpty, "\(mismatches.count) floats round differently: \(mismatches.prefix(8))")
        #endif
    }

    func testHalfFloatEncodingMatchesGGUFPackage() throws {
        let cases = try DequantFixture.load().encode
        XCTAssertEqual(Set(cases.map(\.target)), ["f16", "bf16"])
        for encodeCase in cases {
            let values = try decodeFloatBits(encodeCase.values).map { Float(bitPattern: $0) }
            let expected = try decodeHalfBits(encodeCase.expected)
            XCTAssertEqual(values.count, expected.count, encodeCase.name)
            let encode = encodeCase.target == "f16" ? HalfFloat.fp16(from:) : HalfFloat.bf16(from:)
            let mismatches = zip(values, expected).filter { encode($0.0) != $0.1 }
            XCTAssert(mismatches.isEmpty, "\(encodeCase.name): \(mismatches.count) of \(values.count) differ, e.g. "
                + mismatches.prefix(5).map { "\($0.0) (\(hex($0.0.bitPattern))) → \(hex(encode($0.0))), expected \(hex($0.1))" }
                    .joined(separator: "; "))
        }
    }

    func testBF16EncodingEdgeCases() {
        let cases: [(Float, UInt16, String)] = [
            (1, 0x3F80, "1"), (-0.0, 0x8000, "-0"), (Float(bitPattern: 0x3F80_8000), 0x3F80, "tie to even (down)"),
            (Float(bitPattern: 0x3F81_8000), 0x3F82, "tie to even (up)"), (Float(bitPattern: 0x3F80_8001), 0x3F81, "above the tie"),
            (.greatestFiniteMagnitude, 0x7F80, "rounds to infinity"), (Float(bitPattern: 0x7F80_0001), 0x7FC0, "signalling NaN made quiet"),
        ]
        for (value, bf, what) in cases {
            XCTAssertEqual(hex(HalfFloat.bf16(from: value)), hex(bf), "bf16(from: \(value)): \(what)")
        }
    }

    // MARK: - Helpers

    /// Dequantizes `bytes` (whole blocks of `format`) through `Dequantize.row`.
    private func dequantize(_ format: WeightFormat, _ bytes: [UInt8]) -> [Float] {
        let count = bytes.count / format.blockBytes * format.blockSize
        XCTAssertEqual(format.byteCount(elements: count), bytes.count, "\(format): not whole blocks")
        var out = [Float](repeating: .nan, count: count)
        bytes.withUnsafeBytes { raw in
            out.withUnsafeMutableBufferPointer { Dequantize.row(format, from: raw.baseAddress!, count: count, into: $0.baseAddress!) }
        }
        return out
    }

    private func assertMatches(_ synthetic: DequantFixture.Synthetic, file: StaticString = #filePath, line: UInt = #line) throws {
        let format = try XCTUnwrap(WeightFormat(rawValue: synthetic.format), "unknown format \(synthetic.format)")
        let bytes = try XCTUnwrap(Data(base64Encoded: synthetic.bytes), "\(synthetic.name): bad base64")
        let expected = try decodeFloatBits(synthetic.expected)
        XCTAssertEqual(expected.count, synthetic.count, synthetic.name, file: file, line: line)
        let values = dequantize(format, [UInt8](bytes))
        XCTAssertEqual(values.count, synthetic.count, synthetic.name, file: file, line: line)
        assertBitsEqual(values, expected, "\(synthetic.name) (\(format))", file: file, line: line)
    }

    /// The whole tensor's (sum, position-weighted sum) of float bit patterns, as the fixture script computes them.
    private func checksums(of weight: WeightTensor) -> (UInt64, UInt64) {
        let rowsPerChunk = max(1, (1 << 20) / weight.rowLength)
        var buffer = [Float](repeating: 0, count: rowsPerChunk * weight.rowLength)
        var sum: UInt64 = 0, weightedSum: UInt64 = 0
        var index: UInt64 = 1
        var row = 0
        buffer.withUnsafeMutableBufferPointer { out in
            while row < weight.rowCount {
                let rows = min(rowsPerChunk, weight.rowCount - row)
                let count = rows * weight.rowLength
                Dequantize.row(weight.format, from: weight.bytes.baseAddress! + row * weight.rowBytes, count: count, into: out.baseAddress!)
                out.baseAddress!.withMemoryRebound(to: UInt32.self, capacity: count) { bits in
                    for i in 0..<count {
                        let b = UInt64(bits[i])
                        sum &+= b
                        weightedSum &+= index &* b
                        index &+= 1
                    }
                }
                row += rows
            }
        }
        return (sum, weightedSum)
    }

    private func decodeFloatBits(_ base64: String) throws -> [UInt32] {
        let data = try XCTUnwrap(Data(base64Encoded: base64), "bad base64 in fixture")
        return data.withUnsafeBytes { raw in
            (0..<raw.count / 4).map { UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self)) }
        }
    }

    private func decodeHalfBits(_ base64: String) throws -> [UInt16] {
        let data = try XCTUnwrap(Data(base64Encoded: base64), "bad base64 in fixture")
        return data.withUnsafeBytes { raw in
            (0..<raw.count / 2).map { UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: 2 * $0, as: UInt16.self)) }
        }
    }

    private func assertBitsEqual(_ actual: [Float], _ expected: [Float], _ what: String,
                                 file: StaticString = #filePath, line: UInt = #line) {
        assertBitsEqual(actual, expected.map(\.bitPattern), what, file: file, line: line)
    }

    /// Fails with the count of differing elements, the first few with their index and values, and
    /// the largest absolute difference.
    private func assertBitsEqual(_ actual: [Float], _ expected: [UInt32], _ what: String,
                                 file: StaticString = #filePath, line: UInt = #line) {
        guard actual.count == expected.count else {
            XCTFail("\(what): \(actual.count) values, expected \(expected.count)", file: file, line: line)
            return
        }
        var differing: [Int] = []
        var maxAbsDiff: Float = 0
        for i in actual.indices where actual[i].bitPattern != expected[i] {
            differing.append(i)
            let diff = abs(actual[i] - Float(bitPattern: expected[i]))
            if !diff.isNaN { maxAbsDiff = max(maxAbsDiff, diff) }
        }
        guard !differing.isEmpty else { return }
        let examples = differing.prefix(5).map { i in
            "[\(i)] \(actual[i]) (\(hex(actual[i].bitPattern))) vs \(Float(bitPattern: expected[i])) (\(hex(expected[i])))"
        }
        XCTFail("\(what): \(differing.count) of \(actual.count) values differ, max abs diff \(maxAbsDiff); "
                + examples.joined(separator: ", "), file: file, line: line)
    }

    private func littleEndianBytes<T: FixedWidthInteger>(_ value: T) -> [UInt8] {
        withUnsafeBytes(of: value.littleEndian) { Array($0) }
    }

    private func hex<T: FixedWidthInteger>(_ value: T) -> String {
        "0x" + String(value, radix: 16, uppercase: true)
    }
}

/// Fixtures/dequant-fixtures.json (see scripts/fixtures/make_dequant_fixtures.py for what it holds).
private struct DequantFixture: Decodable {
    struct RowCase: Decodable { let tensor: String; let format: String; let shape: [Int]; let rows: [Int]; let expected: String }
    struct Checksum: Decodable { let tensor: String; let format: String; let sum: String; let weightedSum: String }
    struct Model: Decodable { let file: String; let rowCases: [RowCase]; let checksums: [Checksum] }
    struct Synthetic: Decodable { let name: String; let format: String; let count: Int; let bytes: String; let expected: String }
    struct Encode: Decodable { let name: String; let target: String; let values: String; let expected: String }

    let models: [Model]
    let synthetic: [Synthetic]
    let encode: [Encode]

    static func load() throws -> DequantFixture {
        try JSONDecoder().decode(DequantFixture.self, from: Data(contentsOf: TestModels.fixture("dequant-fixtures.json")))
    }
}

/// Bytes kept alive for a hand-made `WeightTensor`.
private final class ByteStorage {
    let pointer: UnsafeMutableRawBufferPointer
    init(_ bytes: [UInt8]) {
        pointer = .allocate(byteCount: max(bytes.count, 1), alignment: 16)
        pointer.copyBytes(from: bytes)
    }
    deinit { pointer.deallocate() }
}
