import ArgumentParser
import Switchyard
import SwitchyardModels
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `switchyard synthesize`: a GGUF file shaped like a model. With `--header-only`, the model's
/// header alone (metadata, tokenizer and tensor table; a few MB), small enough to carry to a
/// machine the real file cannot reach. Otherwise, from a full or header-only file, a full model
/// with the same metadata, tensor names, shapes, formats and offsets and valid random weights:
/// it runs at the real model's speed (in Switchyard and in llama.cpp) but its text is garbage.
struct Synthesize: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a model's GGUF header alone, or a same-shape model with random weights.")

    @Option(name: .long, help: "The model to copy: a GGUF file (full or header-only), or smollm2 / gemma3.")
    var like: String
    @Option(name: [.customShort("o"), .long], help: "The GGUF file to write.")
    var output: String
    @Option(name: .long, help: "Seed of the random weights.")
    var seed: UInt64 = 1
    @Flag(name: .long, help: "Write only the header (metadata and tensor table), no tensor data.")
    var headerOnly = false

    func run() throws {
        let path = try ModelLocator.resolve(like)
        let source = try GGUFFile(path: path, allowMissingData: true)
        if headerOnly {
            // The header is the file's first bytes up to the data section, alignment padding included.
            let mapped = try MappedFile(path: path)
            try write(UnsafeRawBufferPointer(rebasing: mapped.bytes[0..<source.dataSectionOffset]), to: output)
            _ = try GGUFFile(path: output, allowMissingData: true)
            print("wrote \(output): header of \(path), \(source.dataSectionOffset) bytes, \(source.tensors.count) tensors without data")
            return
        }

        var writer = GGUFWriter()
        writer.alignment = source.alignment
        writer.metadata = source.metadataKeys.map { ($0, source.metadata[$0]!) }
        var random = SeededGenerator(seed: seed)
        for t in source.tensors {
            writer.tensors.append(.init(name: t.name, shape: t.shape, format: t.format,
                                        bytes: Self.randomData(t, &random)))
        }
        try writer.serialize().withUnsafeBytes { try write($0, to: output) }

        // Read it back: the same tensors, in the same places.
        let written = try GGUFFile(path: output)
        let same = zip(written.tensors, source.tensors).allSatisfy {
            $0.name == $1.name && $0.shape == $1.shape && $0.format == $1.format && $0.dataOffset == $1.dataOffset
        }
        guard same, written.tensors.count == source.tensors.count, written.dataSectionOffset == source.dataSectionOffset else {
            throw SynthesizeError(message: "\(output) does not reproduce the tensor table of \(path)")
        }
        print("wrote \(output): \(written.fileSize) bytes, \(written.tensors.count) tensors shaped like \(path), random weights (seed \(seed))")
    }

    /// Valid random data for one tensor: random quant bits with small finite fp16 scales, norm
    /// weights near 1, other floats small. The scale ranges give dequantized weights of about the
    /// real files' spread (std 0.01–0.2): K-quant super-block scales multiply 6- or 8-bit sub-scales,
    /// so theirs are smaller.
    static func randomData(_ t: GGUFTensorInfo, _ random: inout SeededGenerator) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: t.byteCount)
        let elements = t.byteCount / t.format.blockBytes * t.format.blockSize
        bytes.withUnsafeMutableBytes { b in
            func f16(_ x: Double, at offset: Int) { b.storeBytes(of: Float16(Float(x)).bitPattern.littleEndian, toByteOffset: offset, as: UInt16.self) }
            // A magnitude in lo...hi, negative half the time when `signed`.
            func scale(_ lo: Double, _ hi: Double, signed: Bool) -> Double {
                let x = lo + (hi - lo) * random.nextUnit()
                return signed && random.next() & 1 == 1 ? -x : x
            }
            let isNorm = t.name.hasSuffix("norm.weight")
            func float() -> Float { Float(isNorm ? 0.9 + 0.2 * random.nextUnit() : 0.04 * random.nextUnit() - 0.02) }

            switch t.format {
            case .f32:
                for i in 0..<elements { b.storeBytes(of: float().bitPattern.littleEndian, toByteOffset: 4 * i, as: UInt32.self) }
            case .f16:
                for i in 0..<elements { b.storeBytes(of: Float16(float()).bitPattern.littleEndian, toByteOffset: 2 * i, as: UInt16.self) }
            case .bf16:
                for i in 0..<elements { b.storeBytes(of: UInt16(float().bitPattern >> 16).littleEndian, toByteOffset: 2 * i, as: UInt16.self) }
            case .q4_0, .q4_1, .q5_0, .q8_0, .q4K, .q6K:
                var i = 0
                while i + 8 <= b.count { b.storeBytes(of: random.next(), toByteOffset: i, as: UInt64.self); i += 8 }
                while i < b.count { b[i] = UInt8(truncatingIfNeeded: random.next()); i += 1 }
                let size = t.format.blockBytes
                for block in stride(from: 0, to: b.count, by: size) {
                    switch t.format {
                    case .q4_0: f16(scale(0.001, 0.02, signed: true), at: block)                      // d, 16 B nibbles
                    case .q5_0: f16(scale(0.001, 0.02, signed: true), at: block)                      // d, 4 B high bits, 16 B nibbles
                    case .q8_0: f16(scale(0.0002, 0.002, signed: true), at: block)                    // d, 32 int8
                    case .q4_1:                                                                        // d, m, 16 B nibbles
                        let d = scale(0.001, 0.02, signed: false)
                        f16(d, at: block); f16(-7.5 * d, at: block + 2)                            // centred on 0
                    case .q4K:                                                                         // d, dmin, 12 B 6-bit scales, 128 B nibbles
                        let d = scale(0.00005, 0.0005, signed: false)
                        f16(d, at: block); f16(7.5 * d, at: block + 2)                             // centred on 0
                    case .q6K: f16(scale(0.00001, 0.0001, signed: true), at: block + 208)             // 192 B quants, 16 int8 scales, d
                    case .f32, .f16, .bf16: break
                    }
                }
            }
        }
        return bytes
    }
}

struct SynthesizeError: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}

/// Writes `bytes` to a new file at `path`.
private func write(_ bytes: UnsafeRawBufferPointer, to path: String) throws {
    guard let file = fopen(path, "wb") else { throw SynthesizeError(message: "cannot write '\(path)': \(String(cString: strerror(errno)))") }
    let written = bytes.isEmpty ? 0 : fwrite(bytes.baseAddress!, 1, bytes.count, file)
    let closed = fclose(file)
    guard written == bytes.count, closed == 0 else { throw SynthesizeError(message: "cannot write '\(path)': \(String(cString: strerror(errno)))") }
}
