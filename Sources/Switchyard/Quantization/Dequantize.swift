
/// Dequantization of GGUF weight formats to f32, bit-exact with ggml's `dequantize_row_*`
/// reference code (and with the `gguf` Python package's `gguf.quants.dequantize`).
///
/// Each quantized format has its own file under `Formats/` that spells out its block layout and
/// decodes one block (`Q4_0Block`, `Q4_1Block`, `Q5_0Block`, `Q8_0Block`, `Q4KBlock`, `Q6KBlock`);
/// the plain float formats are decoded here, one element at a time, through `HalfFloat`.
///
/// "Bit-exact" means: the same products and sums in the same order as ggml's C source, each rounded
/// to f32, with no fused multiply-add. (A C compiler allowed to contract `a*b + c` into an FMA can
/// make ggml's own binary differ from its source in the last bit for Q4_1 and Q4_K; the `gguf`
/// package, like this code, follows the source.)
public enum Dequantize {
    /// Dequantizes `count` elements of `format`, a whole number of blocks stored contiguously from
    /// `source`, into `destination[0..<count]`. `source` needs no particular alignment.
    ///
    /// - Precondition: `count` is a non-negative multiple of `format.blockSize`, `source` holds
    ///   `format.byteCount(elements: count)` readable bytes and `destination` room for `count` floats.
    public static func row(_ format: WeightFormat, from source: UnsafeRawPointer, count: Int,
                           into destination: UnsafeMutablePointer<Float>) {
        precondition(count >= 0 && count % format.blockSize == 0,
                     "Dequantize.row: \(count) elements is not a whole number of \(format) blocks of \(format.blockSize)")
        switch format {
        case .f32:
            // Copied as bits, so NaN payloads survive.
            UnsafeMutableRawPointer(destination).copyMemory(from: source, byteCount: count * 4)
        case .f16:
            for i in 0..<count {
                let bits = UInt16(littleEndian: source.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))
                destination[i] = HalfFloat.float(fromFP16: bits)
            }
        case .bf16:
            for i in 0..<count {
                let bits = UInt16(littleEndian: source.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))
                destination[i] = HalfFloat.float(fromBF16: bits)
            }
        case .q4_0:
            forEachBlock(source, count, destination, elements: Q4_0Block.elements, bytes: Q4_0Block.bytes, Q4_0Block.decode)
        case .q4_1:
            forEachBlock(source, count, destination, elements: Q4_1Block.elements, bytes: Q4_1Block.bytes, Q4_1Block.decode)
        case .q5_0:
            forEachBlock(source, count, destination, elements: Q5_0Block.elements, bytes: Q5_0Block.bytes, Q5_0Block.decode)
        case .q8_0:
            forEachBlock(source, count, destination, elements: Q8_0Block.elements, bytes: Q8_0Block.bytes, Q8_0Block.decode)
        case .q4K:
            forEachBlock(source, count, destination, elements: Q4KBlock.elements, bytes: Q4KBlock.bytes, Q4KBlock.decode)
        case .q6K:
            forEachBlock(source, count, destination, elements: Q6KBlock.elements, bytes: Q6KBlock.bytes, Q6KBlock.decode)
        }
    }

    /// Rows `range` of `weight` (a matrix of `weight.rowCount` rows of `weight.rowLength` elements;
    /// all outer dimensions count as rows) dequantized into a new array of
    /// `range.count * weight.rowLength` floats, row after row.
    ///
    /// - Precondition: `range` lies within `0..<weight.rowCount`.
    public static func rows(of weight: WeightTensor, _ range: Range<Int>) -> [Float] {
        precondition(range.lowerBound >= 0 && range.upperBound <= weight.rowCount,
                     "Dequantize.rows: rows \(range) out of 0..<\(weight.rowCount) in '\(weight.name)'")
        let count = range.count * weight.rowLength
        guard count > 0 else { return [] }
        let start = weight.bytes.baseAddress! + range.lowerBound * weight.rowBytes
        precondition(range.upperBound * weight.rowBytes <= weight.bytes.count,
                     "Dequantize.rows: '\(weight.name)' holds \(weight.bytes.count) bytes, fewer than its shape needs")
        return [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            row(weight.format, from: start, count: count, into: buffer.baseAddress!)
            initialized = count
        }
    }

    /// Decodes the `count / elements` consecutive blocks at `source` with `decode`.
    @inline(__always)
    private static func forEachBlock(_ source: UnsafeRawPointer, _ count: Int, _ destination: UnsafeMutablePointer<Float>,
                                     elements: Int, bytes: Int,
                                     _ decode: (UnsafeRawPointer, UnsafeMutablePointer<Float>) -> Void) {
        for block in 0..<count / elements {
            decode(source + block * bytes, destination + block * elements)
        }
    }
}
