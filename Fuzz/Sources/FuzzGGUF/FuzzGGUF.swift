import FuzzSupport
import SwitchyardModels

/// Fuzz target (a): the GGUF reader. Each input is a whole file. It is read three ways (strict, with
/// missing data allowed, shapes only); whatever is accepted must hold together: every tensor's
/// bytes lie inside the file, every metadata value decodes, and the header written back by
/// `GGUFWriter` reads back to the same bytes.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzGGUF(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let path = FuzzFile.write(data, size)
    for mode in 0..<3 {
        let file: GGUFFile
        do {
            switch mode {
            case 0: file = try GGUFFile(path: path)
            case 1: file = try GGUFFile(path: path, allowMissingData: true)
            default: file = try GGUFFile(path: path, shapesOnly: true)
            }
        } catch let error as GGUFError {
            fuzzCheck(!error.description.isEmpty && !error.description.contains("\n"), "error is not one line: \(error)")
            continue
        } catch {
            fuzzCheck(false, "not a GGUFError: \(error)")
            continue
        }
        examine(file, strict: mode == 0)
    }
    return 0
}

/// Reads everything an accepted file offers and checks it against the file's size.
func examine(_ file: GGUFFile, strict: Bool) {
    fuzzCheck(file.dataSectionOffset % file.alignment == 0, "data section at \(file.dataSectionOffset) is not aligned to \(file.alignment)")
    for key in file.metadataKeys {
        let value = file.metadata[key]!
        _ = value.summary
        _ = value.stringArray; _ = value.intArray; _ = value.floatArray
        if let count = value.arrayCount { fuzzCheck(value.array?.count == count, "array '\(key)' decodes to a different count") }
    }
    _ = file.architecture
    for info in file.tensors {
        fuzzCheck(info.byteCount == info.format.byteCount(elements: info.shape.reduce(1, *)), "tensor '\(info.name)' byte count disagrees with its shape")
        guard let weight = file.weight(info.name) else {
            fuzzCheck(!strict, "strictly read tensor '\(info.name)' has no weight")
            continue
        }
        fuzzCheck(weight.bytes.count == info.byteCount, "tensor '\(info.name)' maps \(weight.bytes.count) bytes, not \(info.byteCount)")
        if strict {
            let end = file.dataSectionOffset.addingReportingOverflow(info.dataOffset)
            fuzzCheck(!end.overflow && end.partialValue + info.byteCount <= file.fileSize, "tensor '\(info.name)' lies past the end of the file")
        }
        if weight.bytes.count > 0 { _ = weight.bytes[0] &+ weight.bytes[weight.bytes.count - 1] }
    }
    // The header written back reads back to the same bytes (a round trip through the writer).
    var writer = GGUFWriter()
    writer.alignment = file.alignment
    writer.metadata = file.metadataKeys.map { ($0, file.metadata[$0]!) }
    writer.tensors = file.tensors.map { .init(name: $0.name, shape: $0.shape, format: $0.format, bytes: []) }
    let header = writer.serialize(headerOnly: true)
    let path = FuzzFile.path + ".again"
    header.withUnsafeBufferPointer { _ = FuzzFile.write($0.baseAddress!, $0.count, to: path) }
    defer { FuzzFile.remove(path) }
    do {
        let again = try GGUFFile(path: path, allowMissingData: true)
        var rewriter = GGUFWriter()
        rewriter.alignment = again.alignment
        rewriter.metadata = again.metadataKeys.map { ($0, again.metadata[$0]!) }
        rewriter.tensors = again.tensors.map { .init(name: $0.name, shape: $0.shape, format: $0.format, bytes: []) }
        fuzzCheck(rewriter.serialize(headerOnly: true) == header, "the header written back reads back differently")
    } catch {
        fuzzCheck(false, "the header written back is refused: \(error)")
    }
}

@_cdecl("LLVMFuzzerInitialize")
public func initialize(_ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>) -> CInt {
    SeedHook.writeSeedsIfAsked { folder in
        FuzzFile.save(TinyModels.llama().serialize(), as: "tiny-llama.gguf", in: folder)
        FuzzFile.save(TinyModels.gemma3().serialize(), as: "tiny-gemma3.gguf", in: folder)
        FuzzFile.save(TinyModels.llama().serialize(headerOnly: true), as: "tiny-llama-header.gguf", in: folder)
        var big = GGUFWriter()   // arrays past the mapped-array threshold, and every value type
        big.metadata = [
            ("big.strings", .array(.string, (0..<1100).map { .string("p\($0)") })),
            ("big.ints", .array(.int32, (0..<1100).map { .int32(Int32($0)) })),
            ("big.floats", .array(.float32, (0..<1100).map { .float32(Float($0)) })),
            ("nested", .array(.array, [.array(.uint8, [.uint8(1)]), .array(.string, [.string("x")])])),
            ("scalars", .array(.int64, [.int64(-1)])), ("u8", .uint8(1)), ("i8", .int8(-1)), ("u16", .uint16(2)),
            ("i16", .int16(-2)), ("u64", .uint64(3)), ("f64", .float64(0.5)), ("b", .bool(true)),
            ("general.alignment", .uint32(64)),
        ]
        big.alignment = 64
        big.tensors = [.init(name: "t", shape: [2, 32], format: .f16, bytes: [UInt8](repeating: 0x3C, count: 128))]
        FuzzFile.save(big.serialize(), as: "every-type.gguf", in: folder)
        // The real files' first 64 KiB: their real keys, refused as truncated somewhere in the vocabulary.
        for name in ["SmolLM2-135M-Instruct.Q4_1.gguf", "gemma-3-270m-q4_k_m.gguf"] {
            if let head = SeedHook.prefix(of: SeedHook.modelFolder + "/" + name, count: 65536) {
                FuzzFile.save(head, as: "head-" + name, in: folder)
            }
        }
    }
    return 0
}
