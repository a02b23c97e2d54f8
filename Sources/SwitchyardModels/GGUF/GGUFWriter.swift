import Switchyard

/// Writes a GGUF (version 3) file into memory: metadata, tensor headers and aligned data. Used to
/// build small models and deliberately malformed files for tests, and same-shape random-weight
/// models for benchmarks on machines the real files cannot reach.
public struct GGUFWriter {
    public struct Tensor {
        public var name: String
        /// Outermost first, as everywhere in Switchyard.
        public var shape: [Int]
        public var format: WeightFormat
        public var bytes: [UInt8]
        public init(name: String, shape: [Int], format: WeightFormat, bytes: [UInt8]) {
            self.name = name; self.shape = shape; self.format = format; self.bytes = bytes
        }
    }

    public var metadata: [(String, GGUFValue)] = []
    public var tensors: [Tensor] = []
    public var alignment = 32

    public init() {}

    /// The whole file's bytes; with `headerOnly`, only the metadata and the tensor table (offsets as
    /// if each tensor held `format.byteCount` bytes of its shape), the form `GGUFFile(path:shapesOnly:)`
    /// reads.
    public func serialize(headerOnly: Bool = false) -> [UInt8] {
        var out: [UInt8] = []
        func put<T: FixedWidthInteger>(_ v: T) { withUnsafeBytes(of: v.littleEndian) { out.append(contentsOf: $0) } }
        func putString(_ s: String) { put(UInt64(s.utf8.count)); out.append(contentsOf: s.utf8) }
        func putValue(_ v: GGUFValue) {
            switch v {
            case .uint8(let x): put(x)
            case .int8(let x): put(x)
            case .uint16(let x): put(x)
            case .int16(let x): put(x)
            case .uint32(let x): put(x)
            case .int32(let x): put(x)
            case .uint64(let x): put(x)
            case .int64(let x): put(x)
            case .float32(let x): put(x.bitPattern)
            case .float64(let x): put(x.bitPattern)
            case .bool(let b): put(UInt8(b ? 1 : 0))
            case .string(let s): putString(s)
            case .array(let type, let items):
                put(type.rawValue); put(UInt64(items.count))
                items.forEach(putValue)
            case .mappedArray(let m):
                put(m.elementType.rawValue); put(UInt64(m.count))
                m.values().forEach(putValue)
            }
        }
        put(UInt32(0x4655_4747)); put(UInt32(3))
        put(UInt64(tensors.count)); put(UInt64(metadata.count))
        for (key, value) in metadata { putString(key); put(value.type.rawValue); putValue(value) }
        var offset = 0
        var offsets: [Int] = []
        for t in tensors {
            offsets.append(offset)
            let size = headerOnly ? (t.format.byteCount(elements: t.shape.reduce(1, *)) ?? 0) : t.bytes.count
            offset = (offset + size + alignment - 1) / alignment * alignment
        }
        for (t, o) in zip(tensors, offsets) {
            putString(t.name); put(UInt32(t.shape.count))
            for d in t.shape.reversed() { put(UInt64(d)) }
            put(GGMLType.id(of: t.format)); put(UInt64(o))
        }
        while out.count % alignment != 0 { out.append(0) }
        if headerOnly { return out }
        let dataStart = out.count
        for (t, o) in zip(tensors, offsets) {
            out.append(contentsOf: [UInt8](repeating: 0, count: dataStart + o - out.count))
            out.append(contentsOf: t.bytes)
        }
        return out
    }
}

extension GGUFValue {
    /// The GGUF value type tag of this value.
    public var type: GGUFValueType {
        switch self {
        case .uint8: return .uint8
        case .int8: return .int8
        case .uint16: return .uint16
        case .int16: return .int16
        case .uint32: return .uint32
        case .int32: return .int32
        case .uint64: return .uint64
        case .int64: return .int64
        case .float32: return .float32
        case .float64: return .float64
        case .bool: return .bool
        case .string: return .string
        case .array, .mappedArray: return .array
        }
    }
}
