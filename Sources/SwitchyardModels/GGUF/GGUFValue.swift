/// The value types a GGUF metadata entry can hold (GGUF's `gguf_metadata_value_type`).
public enum GGUFValueType: UInt32, Sendable {
    case uint8 = 0, int8, uint16, int16, uint32, int32, float32, bool, string, array, uint64, int64, float64

    /// Bytes of one value of this type, or nil for variable-size strings and arrays.
    var fixedSize: Int? {
        switch self {
        case .uint8, .int8, .bool: return 1
        case .uint16, .int16: return 2
        case .uint32, .int32, .float32: return 4
        case .uint64, .int64, .float64: return 8
        case .string, .array: return nil
        }
    }
}

/// One GGUF metadata value.
public enum GGUFValue: Sendable, Equatable {
    case uint8(UInt8), int8(Int8), uint16(UInt16), int16(Int16)
    case uint32(UInt32), int32(Int32), uint64(UInt64), int64(Int64)
    case float32(Float), float64(Double)
    case bool(Bool)
    case string(String)
    case array(GGUFValueType, [GGUFValue])
    /// A large array read from a file, left in the mapping and decoded when asked for (a
    /// vocabulary's 262,144 strings, scores and types would otherwise stay in memory twice).
    case mappedArray(GGUFMappedArray)

    /// The value as an integer, if it is one of the integer types.
    public var int: Int? {
        switch self {
        case .uint8(let v): return Int(v)
        case .int8(let v): return Int(v)
        case .uint16(let v): return Int(v)
        case .int16(let v): return Int(v)
        case .uint32(let v): return Int(v)
        case .int32(let v): return Int(v)
        case .uint64(let v): return Int(exactly: v)
        case .int64(let v): return Int(v)
        default: return nil
        }
    }

    /// The value as a float, if it is a number.
    public var double: Double? {
        switch self {
        case .float32(let v): return Double(v)
        case .float64(let v): return v
        default: return int.map(Double.init)
        }
    }

    public var string: String? { if case .string(let s) = self { return s } else { return nil } }
    public var bool: Bool? { if case .bool(let b) = self { return b } else { return nil } }

    /// The elements, if the value is an array.
    public var array: [GGUFValue]? {
        switch self {
        case .array(_, let a): return a
        case .mappedArray(let m): return m.values()
        default: return nil
        }
    }
    /// The element type and count, if the value is an array.
    public var arrayType: GGUFValueType? {
        switch self {
        case .array(let t, _): return t
        case .mappedArray(let m): return m.elementType
        default: return nil
        }
    }
    public var arrayCount: Int? {
        switch self {
        case .array(_, let a): return a.count
        case .mappedArray(let m): return m.count
        default: return nil
        }
    }
    /// The elements as strings, if the value is an array of strings.
    public var stringArray: [String]? {
        guard arrayType == .string else { return nil }
        if case .mappedArray(let m) = self { return m.strings() }
        return array?.compactMap(\.string)
    }
    /// The elements as integers, if every element is one.
    public var intArray: [Int]? {
        if case .mappedArray(let m) = self, m.elementType == .int32 { return m.int32s() }
        let values = array?.compactMap(\.int)
        return values?.count == arrayCount ? values : nil
    }
    /// The elements as floats, if every element is a number.
    public var floatArray: [Float]? {
        if case .mappedArray(let m) = self, m.elementType == .float32 { return m.float32s() }
        let values = array?.compactMap { $0.double.map(Float.init) }
        return values?.count == arrayCount ? values : nil
    }

    /// A short human-readable rendering on one line (arrays are summarised; strings cut at 77
    /// characters, their control characters escaped).
    public var summary: String {
        switch self {
        case .string(let s): return "\"" + MessageText.printable(s, limit: 77) + "\""
        case .array(let type, let items):
            let head = items.prefix(4).map(\.summary).joined(separator: ", ")
            return "[\(type) × \(items.count)]" + (items.isEmpty ? "" : " \(head)\(items.count > 4 ? ", ..." : "")")
        case .mappedArray(let m):
            return "[\(m.elementType) × \(m.count)] " + m.values(limit: 4).map(\.summary).joined(separator: ", ") + ", ..."

        case .bool(let b): return String(b)
        case .float32(let v): return String(v)
        case .float64(let v): return String(v)
        default: return int.map(String.init) ?? "?"
        }
    }
}

/// A large metadata array left where it lies in a mapped GGUF file (validated when the header was
/// read), decoded on demand.
/// Sendable: immutable; it reads a read-only mapping that it keeps alive.
public final class GGUFMappedArray: @unchecked Sendable, Equatable {
    public let elementType: GGUFValueType
    public let count: Int
    let bytes: UnsafeRawBufferPointer
    let owner: AnyObject

    init(elementType: GGUFValueType, count: Int, bytes: UnsafeRawBufferPointer, owner: AnyObject) {
        self.elementType = elementType; self.count = count; self.bytes = bytes; self.owner = owner
    }

    /// The first `limit` elements (all by default) as values.
    public func values(limit: Int = .max) -> [GGUFValue] {
        var cursor = ByteCursor(bytes: bytes)
        return (0..<min(count, limit)).map { _ in (try? cursor.readValue(elementType, key: "")) ?? .bool(false) }
    }

    /// The elements as strings, straight from the mapping.
    func strings() -> [String] {
        var cursor = ByteCursor(bytes: bytes)
        var result: [String] = []
        result.reserveCapacity(count)
        for _ in 0..<count { result.append((try? cursor.readString(field: "")) ?? "") }
        return result
    }

    /// The elements as integers, straight from the mapping.
    func int32s() -> [Int] {
        (0..<count).map { Int(Int32(littleEndian: bytes.loadUnaligned(fromByteOffset: 4 * $0, as: Int32.self))) }
    }

    /// The elements as floats, straight from the mapping.
    func float32s() -> [Float] {
        (0..<count).map { Float(bitPattern: UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self))) }
    }

    public static func == (a: GGUFMappedArray, b: GGUFMappedArray) -> Bool {
        a === b || (a.elementType == b.elementType && a.values() == b.values())
    }
}
