/// The kernels' SPIR-V, compiled from `Kernels/vulkan/*.comp` by `glslc` at build time (the
/// SPIRVEmbedder plugin writes `compiled`, base64 text: a large `[UInt32]` literal is slow for the
/// Swift compiler, a string is not).
enum ShaderLibrary {
    /// The SPIR-V words of kernel `name`, or nil when no shader of that name was compiled.
    static func spirv(_ name: String) -> [UInt32]? {
        guard let text = compiled[name] else { return nil }
        let bytes = decodeBase64(text)
        precondition(bytes.count % 4 == 0, "SPIR-V of \(name) is not whole words")
        var words = [UInt32](repeating: 0, count: bytes.count / 4)
        for i in words.indices {
            let b0 = UInt32(bytes[4 * i]), b1 = UInt32(bytes[4 * i + 1])
            let b2 = UInt32(bytes[4 * i + 2]), b3 = UInt32(bytes[4 * i + 3])
            words[i] = b0 | (b1 << 8) | (b2 << 16) | (b3 << 24)
        }
        return words
    }

    static func decodeBase64(_ text: String) -> [UInt8] {
        var table = [UInt8](repeating: 255, count: 256)
        for (i, c) in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8.enumerated() { table[Int(c)] = UInt8(i) }
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count * 3 / 4)
        var accumulator: UInt32 = 0, bits = 0
        for c in text.utf8 {
            let v = table[Int(c)]
            guard v != 255 else { continue }   // '=' padding
            accumulator = accumulator << 6 | UInt32(v)
            bits += 6
            if bits >= 8 {
                bits -= 8
                out.append(UInt8(truncatingIfNeeded: accumulator >> UInt32(bits)))
            }
        }
        return out
    }
}
