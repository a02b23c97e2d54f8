import Foundation
import XCTest
import Switchyard
import SwitchyardModels
import SwitchyardCPUKernels
import SwitchyardBLAS

/// Pins the C SIMD kernels of the fast CPU backend (Kernels/cpu) to the reference, on every
/// instruction-set tier this CPU has (scalar, AVX2, AVX-512, forced with `sy_force_tier`):
///
/// - `sy_dequantize_row` equals `Dequantize.row` bit for bit;
/// - `sy_matvec`, `sy_matmul_rows` and `sy_gemm_nt` equal `Dequantize.row` + a float64 dot product within
///   1e-5 · Σ|w·x| per output, write exactly the rows they are given and nothing else;
///
/// on random valid blocks of every format and many shapes, and on real tensors of both models.
/// A benchmark that only prints (no timing assertions) gives GB/s per format and tier.
final class CPUKernelTests: XCTestCase {

    override func tearDown() {
        sy_force_tier(nil)
        super.tearDown()
    }

    // MARK: - Tiers

    /// The tiers this CPU can run (forcing one it lacks falls back, so it is recognised by name).
    static let tiers: [String] = ["scalar", "avx2", "avx512"].filter { tier in
        sy_force_tier(tier)
        defer { sy_force_tier(nil) }
        return String(cString: sy_cpu_tier()) == tier
    }

    func testTierDetection() {
        let automatic = String(cString: sy_cpu_tier())
        XCTAssertTrue(["scalar", "avx2", "avx512"].contains(automatic), automatic)
        XCTAssertTrue(Self.tiers.contains("scalar"))
        XCTAssertTrue(Self.tiers.contains(automatic), "the automatic tier \(automatic) runs")
        if ProcessInfo.processInfo.environment["SWITCHYARD_CPU"] == nil {
            XCTAssertEqual(automatic, Self.tiers.last, "the best tier is picked by default")
        }
        print("CPU kernel tiers on this machine: \(Self.tiers.joined(separator: ", ")); automatic: \(automatic)")
    }

    // MARK: - Dequantization, bit for bit

    func testDequantizeRowMatchesReferenceBitForBit() {
        var rng = SeededGenerator(seed: 0x5EED_0001)
        for tier in Self.tiers {
            sy_force_tier(tier)
            for format in WeightFormat.allCases {
                for blocks in [1, 2, 3, 5, 8, 17, 40] {
                    // Plain float formats: any bits at all (NaNs, infinities, subnormals), odd lengths.
                    let count = format.isQuantized ? blocks * format.blockSize : blocks * 7 + (blocks % 2)
                    let bytes = Self.randomBlocks(format, elements: count, anyBits: !format.isQuantized, &rng)
                    let expected = Self.reference(format, bytes, count)
                    var got = [Float](repeating: .nan, count: count + 1)
                    bytes.withUnsafeBytes { src in
                        got.withUnsafeMutableBufferPointer { sy_dequantize_row(sy_format(format), src.baseAddress!, Int64(count), $0.baseAddress!) }
                    }
                    assertBitsEqual(Array(got[0 ..< count]), expected, "\(tier) \(format) \(count) elements")
                    XCTAssertTrue(got[count].isNaN, "\(tier) \(format): wrote past \(count) elements")
                }
            }
        }
    }

    // MARK: - Dot products against float64

    func testMatvecMatchesReferenceOnRandomBlocks() {
        var rng = SeededGenerator(seed: 0x5EED_0002)
        for tier in Self.tiers {
            sy_force_tier(tier)
            for format in WeightFormat.allCases {
                for k in Self.lengths(format) {
                    for rows in [1, 2, 5, 16, 37] {
                        let begin = rows > 2 ? rows / 3 : 0
                        let end = rows > 4 ? rows - 1 : rows
                        checkProduct(format, k: k, rows: rows, range: begin ..< end, n: 1, tier: tier, &rng)
                    }
                }
            }
        }
    }

    func testMatmulRowsMatchesReferenceOnRandomBlocks() {
        var rng = SeededGenerator(seed: 0x5EED_0003)
        for tier in Self.tiers {
            sy_force_tier(tier)
            for format in WeightFormat.allCases {
                let lengths = Self.lengths(format)
                for (index, n) in [1, 2, 3, 4, 5, 7, 8, 9, 12, 16].enumerated() {
                    let k = lengths[index % lengths.count]
                    let rows = [3, 11, 37][index % 3]
                    checkProduct(format, k: k, rows: rows, range: 1 ..< rows, n: n, tier: tier, &rng)
                }
            }
        }
    }

    /// `sy_matvec_i16` (the int16-activation numerics mode) against float64 with the bound its
    /// quantization derives: the kernel's error is Σ_j (d·q_j)·(x̂_j − x_j), x̂ the int16-rounded
    /// activations (emulated here), plus f32 rounding; a wrong block, scale or offset is far outside
    /// it. A NaN in x still poisons every output; formats without an int16 kernel give exactly
    /// `sy_matvec`'s result.
    func testMatvecInt16StaysWithinItsQuantizationBound() {
        var rng = SeededGenerator(seed: 0x5EED_0008)
        var checked = 0
        for tier in Self.tiers {
            sy_force_tier(tier)
            for format in WeightFormat.allCases {
                let has = sy_has_i16(sy_format(format)) != 0
                XCTAssertEqual(has, tier != "scalar" && format.isQuantized, "\(tier) \(format)")
                for k in Self.lengths(format).prefix(has ? 11 : 3) {
                    let rows = 9
                    let rowBytes = format.byteCount(elements: k)!
                    let bytes = Self.randomBlocks(format, elements: k * rows, anyBits: false, &rng)
                    let dense = Self.reference(format, bytes, k * rows)
                    // Some blocks of tiny or huge activations, one all zero: the scale is per block.
                    let x = (0 ..< k).map { j -> Float in
                        let block = j / 32
                        return block == 1 ? 0 : Float.random(in: -2 ... 2, using: &rng) * (block % 3 == 2 ? 1e-3 : block % 5 == 4 ? 300 : 1)
                    }
                    var y = [Float](repeating: .nan, count: rows), plain = y
                    bytes.withUnsafeBytes { w in
                        sy_matvec_i16(sy_format(format), w.baseAddress!, rowBytes, Int64(k), x, &y, 0, Int64(rows))
                        sy_matvec(sy_format(format), w.baseAddress!, rowBytes, Int64(k), x, &plain, 0, Int64(rows))
                    }
                    guard has else {
                        XCTAssertEqual(y.map(\.bitPattern), plain.map(\.bitPattern), "\(tier) \(format): no int16 kernel, the f32 one")
                        continue
                    }
                    let rounded = Self.int16Rounded(x)
                    for r in 0 ..< rows {
                        let (exact, magnitude) = Self.dot(dense, r * k, x, 0, k)
                        var bound = 1e-5 * magnitude
                        for j in 0 ..< k {
                            let block = r * rowBytes + (j / format.blockSize) * format.blockBytes
                            func half(_ o: Int) -> Double { Double(HalfFloat.float(fromFP16: UInt16(bytes[block + o]) | UInt16(bytes[block + o + 1]) << 8)) }
                            let w = Double(dense[r * k + j])
                            // |d·q_j|, the part of the weight the rounded activation multiplies.
                            let part = switch format {
                            case .q4_0: abs(w + 8 * half(0))
                            case .q5_0: abs(w + 16 * half(0))
                            case .q4_1: abs(w - half(2))
                            case .q4K: abs(w) + 63 * abs(half(2))   // w + dmin·m, m ≤ 63
                            default: abs(w)                         // Q8_0, Q6_K
                            }
                            bound += part * abs(Double(rounded[j]) - Double(x[j]))
                        }
                        XCTAssertLessThanOrEqual(abs(Double(y[r]) - exact), bound, "\(tier) \(format) k=\(k): y[\(r)] = \(y[r]), want \(exact)")
                        checked += 1
                    }
                    var poisoned = x
                    poisoned[k / 2] = .nan
                    bytes.withUnsafeBytes { w in
                        sy_matvec_i16(sy_format(format), w.baseAddress!, rowBytes, Int64(k), poisoned, &y, 0, Int64(rows))
                    }
                    XCTAssertTrue(y.allSatisfy(\.isNaN), "\(tier) \(format) k=\(k): a NaN activation reaches every output")
                }
            }
        }
        if Self.tiers.contains("avx2") { XCTAssertGreaterThan(checked, 500, "int16 outputs checked") }
        print("sy_matvec_i16: \(checked) outputs within their quantization bound")
    }

    /// x as the int16 mode sees it: per 32-element block, round(x · 32767 / max|x|) · max|x| / 32767
    /// (the scale in f32, as the kernels compute it).
    static func int16Rounded(_ x: [Float]) -> [Float] {
        stride(from: 0, to: x.count, by: 32).flatMap { start -> [Float] in
            let block = x[start ..< min(start + 32, x.count)]
            let amax = block.map(abs).max()!
            guard amax > 0 else { return Array(block) }
            let inverse = 32767 / amax, scale = amax / 32767
            return block.map { ($0 * inverse).rounded(.toNearestOrEven) * scale }
        }
    }

    /// `sy_gemm_nt` (the AVX-512 tier's own prefill GEMM) against float64 on shapes around its
    /// register tile (12 rows × 32 columns) and its k blocks (at most 384): every output within
    /// 1e-5 · Σ|w·x|, nothing outside the n × m block written. Tiers without one say so (scratch 0)
    /// and write nothing.
    func testGemmMatchesFloat64OnManyShapes() {
        var rng = SeededGenerator(seed: 0x5EED_0007)
        var ran = 0
        for tier in Self.tiers {
            sy_force_tier(tier)
            for (n, m, k) in [(1, 1, 1), (12, 32, 384), (13, 33, 385), (5, 17, 7), (37, 70, 640), (24, 16, 1000),
                              (11, 31, 769), (9, 64, 2049), (40, 5, 3)] {
                let ldx = k + 3, ldw = k + 1, ldy = m + 2
                let x = (0 ..< n * ldx).map { _ in Float.random(in: -2 ... 2, using: &rng) }
                let w = (0 ..< m * ldw).map { _ in Float.random(in: -1 ... 1, using: &rng) }
                let sentinel = Float(bitPattern: 0x7FC0_1234)
                var y = [Float](repeating: sentinel, count: n * ldy)
                let scratchCount = Int(sy_gemm_nt_scratch(Int64(m), Int64(k)))
                var scratch = [Float](repeating: .nan, count: max(scratchCount, 1))
                sy_gemm_nt(Int64(n), Int64(m), Int64(k), x, Int64(ldx), w, Int64(ldw), &y, Int64(ldy), &scratch)
                guard scratchCount > 0 else {
                    XCTAssertTrue(y.allSatisfy { $0.bitPattern == sentinel.bitPattern }, "\(tier): no GEMM, nothing written")
                    continue
                }
                ran += 1
                for i in 0 ..< n {
                    for r in 0 ..< ldy {
                        let got = y[i * ldy + r]
                        guard r < m else {
                            XCTAssertEqual(got.bitPattern, sentinel.bitPattern, "\(tier) n=\(n) m=\(m) k=\(k): y[\(i)][\(r)] written")
                            continue
                        }
                        let (exact, magnitude) = Self.dot(w, r * ldw, x, i * ldx, k)
                        XCTAssertLessThanOrEqual(abs(Double(got) - exact), 1e-5 * magnitude,
                                                 "\(tier) n=\(n) m=\(m) k=\(k): y[\(i)][\(r)] = \(got), want \(exact)")
                    }
                }
            }
        }
        if Self.tiers.contains("avx512") { XCTAssertGreaterThan(ran, 0, "the AVX-512 tier has its GEMM") }
    }

    /// All tiers agree on a product whose activations are all zero but one, and on empty ranges.
    func testEdgeCases() {
        var rng = SeededGenerator(seed: 0x5EED_0004)
        for tier in Self.tiers {
            sy_force_tier(tier)
            for format in WeightFormat.allCases {
                let k = format.blockSize == 1 ? 19 : format.blockSize * 2
                let rows = 4
                let bytes = Self.randomBlocks(format, elements: k * rows, anyBits: false, &rng)
                let rowBytes = format.byteCount(elements: k)!
                var x = [Float](repeating: 0, count: k)
                x[k - 1] = 1
                let dense = Self.reference(format, bytes, k * rows)
                var y = [Float](repeating: -7, count: rows)
                bytes.withUnsafeBytes { w in
                    sy_matvec(sy_format(format), w.baseAddress!, rowBytes, Int64(k), x, &y, 2, 2)   // empty range
                    XCTAssertEqual(y, [-7, -7, -7, -7], "\(tier) \(format): an empty range writes nothing")
                    sy_matvec(sy_format(format), w.baseAddress!, rowBytes, Int64(k), x, &y, 0, Int64(rows))
                }
                for r in 0 ..< rows {
                    XCTAssertEqual(y[r], dense[r * k + k - 1], accuracy: abs(dense[r * k + k - 1]) * 1e-6,
                                   "\(tier) \(format): row \(r) · e_last")
                }
            }
        }
    }

    // MARK: - Real tensors

    func testRealTensorsOfBothModels() throws {
        let smol = try TestModels.open(TestModels.smollm2Path)
        let gemma = try TestModels.open(TestModels.gemma3Path)
        var cases: [(GGUFFile, String)] = [
            (smol, "blk.0.attn_q.weight"), (smol, "blk.3.attn_k.weight"), (smol, "blk.7.ffn_down.weight"),
            (smol, "blk.11.ffn_up.weight"), (smol, "token_embd.weight"), (smol, "output_norm.weight"),
            (gemma, "blk.0.attn_q.weight"), (gemma, "blk.5.ffn_gate.weight"), (gemma, "blk.2.attn_output.weight"),
            (gemma, "token_embd.weight"), (gemma, "blk.0.attn_norm.weight"),
        ]
        // Every format either model uses, by the first tensor of that format not already listed.
        for file in [smol, gemma] {
            let listed = Set(cases.filter { $0.0 === file }.compactMap { file.tensorInfo($0.1)?.format })
            for format in Set(file.tensors.map(\.format)).subtracting(listed) {
                cases.append((file, file.tensors.first { $0.format == format }!.name))
            }
        }
        var rng = SeededGenerator(seed: 0x5EED_0005)
        var seen = Set<WeightFormat>()
        for (file, name) in cases {
            let weight = try XCTUnwrap(file.weight(name), name)
            seen.insert(weight.format)
            let k = weight.rowLength
            // A few rows spread over the tensor (the big embedding tables: a stretch in the middle).
            let start = weight.rowCount > 64 ? (weight.rowCount / 2) - 17 : 0
            let range = start ..< min(weight.rowCount, start + 37)
            let dense = Dequantize.rows(of: weight, range)
            let base = weight.bytes.baseAddress! + range.lowerBound * weight.rowBytes
            for n in [1, 3, 8] {
                let x = (0 ..< n * k).map { _ in Float.random(in: -2 ... 2, using: &rng) }
                for tier in Self.tiers {
                    sy_force_tier(tier)
                    var got = [Float](repeating: .nan, count: dense.count)
                    got.withUnsafeMutableBufferPointer {
                        sy_dequantize_row(sy_format(weight.format), base, Int64(dense.count), $0.baseAddress!)
                    }
                    assertBitsEqual(got, dense, "\(tier) dequantize \(name)")
                    var y = [Float](repeating: .nan, count: n * range.count)
                    if n == 1 {
                        sy_matvec(sy_format(weight.format), base, weight.rowBytes, Int64(k), x, &y, 0, Int64(range.count))
                    } else {
                        sy_matmul_rows(sy_format(weight.format), base, weight.rowBytes, Int64(k), x, Int64(k), Int64(n),
                                       &y, Int64(range.count), 0, Int64(range.count))
                    }
                    for i in 0 ..< n {
                        for r in 0 ..< range.count {
                            let (exact, magnitude) = Self.dot(dense, r * k, x, i * k, k)
                            XCTAssertLessThanOrEqual(abs(Double(y[i * range.count + r]) - exact), 1e-5 * magnitude,
                                                     "\(tier) \(name) (\(weight.format)) row \(range.lowerBound + r) x \(i) of \(n): \(y[i * range.count + r]) vs \(exact)")
                        }
                    }
                }
            }
        }
        XCTAssertEqual(seen, Set(smol.tensors.map(\.format)).union(gemma.tensors.map(\.format)))
    }

    // MARK: - Benchmark (prints only)

    /// Single-threaded sy_matvec throughput per tier: over whole real tensors (Gemma's 262144×640
    /// Q8_0 embedding table, SmolLM2's) and over every layer's tensors of one format in turn, as a
    /// decode step reads them. Nothing is asserted.
    func testBenchmarkMatvecThroughput() throws {
        let smol = try TestModels.open(TestModels.smollm2Path)
        let gemma = try TestModels.open(TestModels.gemma3Path)
        struct Sweep { let label: String; let weights: [WeightTensor] }
        func sweep(_ file: GGUFFile, _ label: String, _ predicate: (GGUFTensorInfo) -> Bool) -> Sweep {
            Sweep(label: label, weights: file.tensors.filter { predicate($0) && $0.shape.count == 2 }.map { file.weight($0.name)! })
        }
        let sweeps = [
            sweep(gemma, "gemma token_embd", { $0.name == "token_embd.weight" }),
            sweep(smol, "smollm2 token_embd", { $0.name == "token_embd.weight" }),
            sweep(smol, "smollm2 all Q4_1 layers", { $0.format == .q4_1 }),
            sweep(gemma, "gemma all Q5_0 layers", { $0.format == .q5_0 }),
            sweep(gemma, "gemma all Q8_0 layers", { $0.format == .q8_0 && $0.name != "token_embd.weight" }),
            sweep(gemma, "gemma all Q4_K layers", { $0.format == .q4K }),
            sweep(gemma, "gemma all Q6_K layers", { $0.format == .q6K }),
        ]
        var report = "sy_matvec, one thread, best of 5 (GB/s of weights, G weights/s):\n"
        let variants = Self.tiers.map { ($0, false) } + Self.tiers.filter { $0 != "scalar" }.map { ($0, true) }
        for (tier, int16) in variants {
            sy_force_tier(tier)
            for sweep in sweeps where !sweep.weights.isEmpty && (!int16 || sy_has_i16(sy_format(sweep.weights[0].format)) != 0) {
                let bytes = sweep.weights.reduce(0) { $0 + $1.rowCount * $1.rowBytes }
                let elements = sweep.weights.reduce(0) { $0 + $1.elementCount }
                let maxK = sweep.weights.map(\.rowLength).max()!
                let maxRows = sweep.weights.map(\.rowCount).max()!
                let x = (0 ..< maxK).map { Float($0 % 13) * 0.01 - 0.06 }
                var y = [Float](repeating: 0, count: maxRows)
                let reps = tier == "scalar" ? 1 : 5
                var best = Double.infinity
                for _ in 0 ..< reps {
                    let start = DispatchTime.now().uptimeNanoseconds
                    for w in sweep.weights {
                        (int16 ? sy_matvec_i16 : sy_matvec)(sy_format(w.format), w.bytes.baseAddress!, w.rowBytes, Int64(w.rowLength), x, &y, 0, Int64(w.rowCount))
                    }
                    best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9)
                }
                let format = sweep.weights[0].format
                report += String(format: "  %-10@ %-26@ %-5@ %7.1f MB  %6.2f GB/s  %6.2f Gelem/s\n",
                                 (int16 ? tier + "-i16" : tier) as NSString, sweep.label as NSString, format.description as NSString,
                                 Double(bytes) / 1e6, Double(bytes) / best / 1e9, Double(elements) / best / 1e9)
            }
        }
        print(report)
    }

    // MARK: - Helpers

    func checkProduct(_ format: WeightFormat, k: Int, rows: Int, range: Range<Int>, n: Int, tier: String,
                      _ rng: inout SeededGenerator) {
        let rowBytes = format.byteCount(elements: k)!
        let bytes = Self.randomBlocks(format, elements: k * rows, anyBits: false, &rng)
        let dense = Self.reference(format, bytes, k * rows)
        let ldx = k + (n > 1 ? 3 : 0)
        let ldy = rows + (n > 1 ? 2 : 0)
        let x = (0 ..< n * ldx).map { _ in Float.random(in: -2 ... 2, using: &rng) }
        let sentinel = Float(bitPattern: 0x7FC0_1234)
        var y = [Float](repeating: sentinel, count: n * ldy)
        bytes.withUnsafeBytes { w in
            if n == 1 {
                sy_matvec(sy_format(format), w.baseAddress!, rowBytes, Int64(k), x, &y, Int64(range.lowerBound), Int64(range.upperBound))
            } else {
                sy_matmul_rows(sy_format(format), w.baseAddress!, rowBytes, Int64(k), x, Int64(ldx), Int64(n),
                               &y, Int64(ldy), Int64(range.lowerBound), Int64(range.upperBound))
            }
        }
        for i in 0 ..< n {
            for r in 0 ..< ldy {
                let got = y[i * ldy + r]
                guard range.contains(r) else {
                    XCTAssertEqual(got.bitPattern, sentinel.bitPattern, "\(tier) \(format) k=\(k) n=\(n): row \(r) outside \(range) written")
                    continue
                }
                let (exact, magnitude) = Self.dot(dense, r * k, x, i * ldx, k)
                XCTAssertLessThanOrEqual(abs(Double(got) - exact), 1e-5 * magnitude,
                                         "\(tier) \(format) k=\(k) rows=\(rows) n=\(n): y[\(i)][\(r)] = \(got), want \(exact)")
            }
        }
    }

    /// Row lengths to try: one block up to past 2048, including the real models' 576, 640, 1536.
    static func lengths(_ format: WeightFormat) -> [Int] {
        switch format.blockSize {
        case 1: return [1, 7, 16, 17, 33, 64, 100, 576, 640, 2049]
        case 32: return [32, 64, 96, 128, 160, 480, 512, 576, 640, 1536, 2080]
        default: return [256, 512, 768, 1024, 2048, 2304]
        }
    }

    /// Σ w·x and Σ |w·x| in float64.
    static func dot(_ w: [Float], _ wStart: Int, _ x: [Float], _ xStart: Int, _ k: Int) -> (Double, Double) {
        var sum = 0.0, magnitude = 0.0
        for j in 0 ..< k {
            let p = Double(w[wStart + j]) * Double(x[xStart + j])
            sum += p
            magnitude += abs(p)
        }
        return (sum, magnitude)
    }

    static func reference(_ format: WeightFormat, _ bytes: [UInt8], _ count: Int) -> [Float] {
        var out = [Float](repeating: 0, count: count)
        bytes.withUnsafeBytes { src in
            out.withUnsafeMutableBufferPointer { Dequantize.row(format, from: src.baseAddress!, count: count, into: $0.baseAddress!) }
        }
        return out
    }

    /// `elements` elements of `format` as random valid blocks: random quant bytes with sane, finite
    /// f16 scales (random sign where the format allows it); plain floats as values in [-1, 1], or
    /// with `anyBits`, as arbitrary bit patterns.
    static func randomBlocks(_ format: WeightFormat, elements: Int, anyBits: Bool, _ rng: inout SeededGenerator) -> [UInt8] {
        var bytes = (0 ..< format.byteCount(elements: elements)!).map { _ in UInt8.random(in: 0 ... 255, using: &rng) }
        func put(_ value: Float, at offset: Int) {
            let h = HalfFloat.fp16(from: value)
            bytes[offset] = UInt8(h & 0xFF)
            bytes[offset + 1] = UInt8(h >> 8)
        }
        func scale() -> Float { Float.random(in: 0.001 ... 0.05, using: &rng) }
        func signed() -> Float { Bool.random(using: &rng) ? scale() : -scale() }
        let blockBytes = format.blockBytes
        for block in 0 ..< bytes.count / blockBytes {
            let o = block * blockBytes
            switch format {
            case .f32:
                guard !anyBits else { break }
                let v = Float.random(in: -1 ... 1, using: &rng).bitPattern
                for b in 0 ..< 4 { bytes[o + b] = UInt8((v >> (8 * UInt32(b))) & 0xFF) }
            case .f16:
                if !anyBits { put(Float.random(in: -1 ... 1, using: &rng), at: o) }
            case .bf16:
                guard !anyBits else { break }
                let h = HalfFloat.bf16(from: Float.random(in: -1 ... 1, using: &rng))
                bytes[o] = UInt8(h & 0xFF)
                bytes[o + 1] = UInt8(h >> 8)
            case .q4_0, .q5_0, .q8_0:
                put(signed(), at: o)
            case .q4_1:
                let d = scale()
                put(d, at: o)
                put(-d * Float.random(in: 0 ... 15, using: &rng), at: o + 2)
            case .q4K:
                put(scale() * 0.1, at: o)
                put(scale() * 0.1, at: o + 2)
            case .q6K:
                put(signed() * 0.1, at: o + 208)
            }
        }
        return bytes
    }

    private func assertBitsEqual(_ got: [Float], _ expected: [Float], _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(got.count, expected.count, what, file: file, line: line)
        for i in 0 ..< min(got.count, expected.count) where got[i].bitPattern != expected[i].bitPattern {
            XCTFail("\(what): element \(i) is \(got[i]) (0x\(String(got[i].bitPattern, radix: 16))), want \(expected[i]) (0x\(String(expected[i].bitPattern, radix: 16)))",
                    file: file, line: line)
            return
        }
    }
}
