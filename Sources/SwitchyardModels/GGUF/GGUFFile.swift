import Switchyard

/// One tensor's entry in a GGUF file's header.
public struct GGUFTensorInfo: Sendable {
    public let name: String
    /// Outermost first (the reverse of GGUF's `ne` order).
    public let shape: [Int]
    public let format: WeightFormat
    /// Offset from the start of the data section.
    public let dataOffset: Int
    public let byteCount: Int
}

/// A memory-mapped GGUF file (versions 2 and 3). The whole header is validated against the file's
/// real size before anything is allocated in proportion to what the header claims, so a malformed
/// or truncated file is refused with a `GGUFError` that names the field and its byte offset.
/// Sendable: immutable after init; the mapping it reads is read-only.
public final class GGUFFile: @unchecked Sendable {
    public let path: String
    public let version: UInt32
    /// Metadata keys in file order.
    public let metadataKeys: [String]
    public let metadata: [String: GGUFValue]
    /// Tensors in file order.
    public let tensors: [GGUFTensorInfo]
    public let alignment: Int
    /// Byte offset of the data section in the file.
    public let dataSectionOffset: Int
    public var fileSize: Int { file.bytes.count }

    /// Drops the resident pages of the header and metadata (Gemma's 262K-entry vocabulary is ~6 MB
    /// of them) once they have been parsed; a later read of a metadata array maps them in again.
    public func releaseMetadataPages() { file.releasePages(0..<dataSectionOffset) }
    private let file: MappedFile
    private let tensorIndex: [String: Int]

    /// Opens and validates `path`. With `allowMissingData`, a header-only file (`switchyard synthesize
    /// --header-only`: no tensor data) is accepted too; `weight(_:)` returns nil for tensors it lacks.
    /// With `shapesOnly` (which implies `allowMissingData`), `weight(_:)` gives every tensor the file
    /// lacks data for as zeros that cost no memory: enough to build a model's graphs and plans (and
    /// price them) from its header alone, not to run it.
    /// - Throws: what `init(path:allowMissingData:)` throws, and `GGUFError.shapeTooLarge` when the
    ///   system will not reserve address space for the largest tensor's zeros.
    public convenience init(path: String, shapesOnly: Bool) throws {
        try self.init(path: path, allowMissingData: true)
        if shapesOnly, let largest = tensors.max(by: { $0.byteCount < $1.byteCount }) {
            guard let pages = ZeroPages(count: largest.byteCount) else {
                throw GGUFError.shapeTooLarge(tensor: largest.name, size: largest.byteCount)
            }
            zeroPages = pages
        }
    }

    /// Stands in for missing tensor data when opened `shapesOnly`.
    private var zeroPages: ZeroPages?

    public init(path: String, allowMissingData: Bool = false) throws {
        self.path = path
        file = try MappedFile(path: path)
        var cursor = ByteCursor(bytes: file.bytes, owner: file)

        guard file.bytes.count >= 4 else { throw GGUFError.truncated(field: "magic", offset: 0, fileSize: file.bytes.count) }
        guard try cursor.read(UInt32.self, field: "magic") == 0x4655_4747 else { throw GGUFError.notGGUF(path: path) }
        version = try cursor.read(UInt32.self, field: "version")
        guard version == 2 || version == 3 else { throw GGUFError.unsupportedVersion(version) }

        // Each tensor info takes at least 8 (name length) + 4 (dims) + 8 (one dim) + 4 (type) + 8 (offset) bytes,
        // each metadata pair at least 8 (key length) + 4 (type) + 1 byte.
        let tensorCountOffset = cursor.offset
        let tensorCount = try cursor.read(UInt64.self, field: "tensor count")
        guard tensorCount <= UInt64(cursor.remaining / 32) else {
            throw GGUFError.implausibleCount(field: "tensor count", count: tensorCount, offset: tensorCountOffset)
        }
        let kvCountOffset = cursor.offset
        let kvCount = try cursor.read(UInt64.self, field: "metadata count")
        guard kvCount <= UInt64(cursor.remaining / 13) else {
            throw GGUFError.implausibleCount(field: "metadata count", count: kvCount, offset: kvCountOffset)
        }

        var keys: [String] = []
        var values: [String: GGUFValue] = [:]
        for i in 0..<Int(kvCount) {
            let key = try cursor.readString(field: "metadata key #\(i)")
            let typeOffset = cursor.offset
            let rawType = try cursor.read(UInt32.self, field: "type of '\(key)'")
            guard let type = GGUFValueType(rawValue: rawType) else {
                throw GGUFError.unknownValueType(key: key, type: rawType, offset: typeOffset)
            }
            let value = try cursor.readValue(type, key: key)
            guard values.updateValue(value, forKey: key) == nil else { throw GGUFError.duplicateKey(key) }
            keys.append(key)
        }
        metadataKeys = keys
        metadata = values

        var alignment = 32
        if let a = values["general.alignment"] {
            let v = a.int.flatMap { UInt64(exactly: $0) } ?? 0
            guard v > 0, v & (v - 1) == 0, v <= 1 << 20 else { throw GGUFError.invalidAlignment(v) }
            alignment = Int(v)
        }
        self.alignment = alignment

        struct RawTensor { let name: String; let shape: [Int]; let format: WeightFormat; let offset: UInt64; let bytes: Int }
        var raw: [RawTensor] = []
        var index: [String: Int] = [:]
        for i in 0..<Int(tensorCount) {
            let name = try cursor.readString(field: "tensor #\(i) name")
            let dimsOffset = cursor.offset
            let nDims = try cursor.read(UInt32.self, field: "dimension count of '\(name)'")
            guard nDims >= 1, nDims <= 4 else { throw GGUFError.tooManyDimensions(tensor: name, dimensions: nDims, offset: dimsOffset) }
            var ne: [UInt64] = []
            for d in 0..<Int(nDims) { ne.append(try cursor.read(UInt64.self, field: "dimension \(d) of '\(name)'")) }
            var elements = 1
            for d in ne {
                let (p, overflow) = elements.multipliedReportingOverflow(by: Int(truncatingIfNeeded: d))
                guard d > 0, d <= UInt64(Int.max), !overflow else { throw GGUFError.invalidShape(tensor: name, shape: ne, offset: dimsOffset) }
                elements = p
            }
            let typeOffset = cursor.offset
            let typeID = try cursor.read(UInt32.self, field: "type of '\(name)'")
            guard let format = GGMLType.format(of: typeID) else {
                throw GGUFError.unsupportedTensorType(tensor: name, typeID: typeID, typeName: GGMLType.name(of: typeID), offset: typeOffset)
            }
            guard Int(ne[0]) % format.blockSize == 0 else {
                throw GGUFError.rowNotWholeBlocks(tensor: name, rowLength: Int(ne[0]), blockSize: format.blockSize)
            }
            guard let bytes = format.byteCount(elements: elements) else { throw GGUFError.invalidShape(tensor: name, shape: ne, offset: dimsOffset) }
            let offset = try cursor.read(UInt64.self, field: "data offset of '\(name)'")
            guard offset % UInt64(alignment) == 0 else { throw GGUFError.misalignedTensor(tensor: name, offset: offset, alignment: alignment) }
            // Even a header-only file's offsets and sizes must be ones a file could have: with these
            // bounds no sum of offsets and sizes overflows.
            guard offset <= UInt64(Self.largestPlausibleSize), bytes <= Self.largestPlausibleSize else {
                throw GGUFError.tensorOutOfBounds(tensor: name, offset: offset, size: bytes, fileSize: file.bytes.count)
            }
            guard index.updateValue(raw.count, forKey: name) == nil else { throw GGUFError.duplicateTensor(name) }
            raw.append(RawTensor(name: name, shape: ne.reversed().map { Int($0) }, format: format, offset: offset, bytes: bytes))
        }

        // The data section starts at the next multiple of the alignment after the header.
        let dataStart = (cursor.offset + alignment - 1) / alignment * alignment
        dataSectionOffset = dataStart
        let available = file.bytes.count - min(dataStart, file.bytes.count)
        for t in raw where !allowMissingData {
            guard t.offset <= UInt64(available), t.bytes <= available - Int(t.offset) else {
                throw GGUFError.tensorOutOfBounds(tensor: t.name, offset: t.offset, size: t.bytes, fileSize: file.bytes.count)
            }
        }
        tensors = raw.map { GGUFTensorInfo(name: $0.name, shape: $0.shape, format: $0.format, dataOffset: Int($0.offset), byteCount: $0.bytes) }
        tensorIndex = index
    }

    /// The largest data offset or tensor size any file is taken to have (2^60 bytes, an exbibyte):
    /// offsets and sizes past it are refused even where data may be missing, so sums of them stay in
    /// range.
    static let largestPlausibleSize = 1 << 60

    /// The tensor named `name`, if the file has it.
    public func tensorInfo(_ name: String) -> GGUFTensorInfo? { tensorIndex[name].map { tensors[$0] } }

    /// The weight named `name` with its bytes in the mapping, or nil if the file lacks it.
    public func weight(_ name: String) -> WeightTensor? {
        guard let info = tensorInfo(name) else { return nil }
        guard dataSectionOffset + info.dataOffset + info.byteCount <= file.bytes.count else {
            guard let zeroPages else { return nil }
            return WeightTensor(name: name, format: info.format, shape: info.shape,
                                bytes: UnsafeRawBufferPointer(start: zeroPages.bytes.baseAddress, count: info.byteCount), owner: zeroPages)
        }
        let start = file.bytes.baseAddress! + dataSectionOffset + info.dataOffset
        return WeightTensor(name: name, format: info.format, shape: info.shape,
                            bytes: UnsafeRawBufferPointer(start: start, count: info.byteCount), owner: file)
    }

    /// The architecture named by `general.architecture`.
    public var architecture: String? { metadata["general.architecture"]?.string }
}

/// A bounds-checked little-endian reader over the mapped header.
struct ByteCursor {
    let bytes: UnsafeRawBufferPointer
    var offset = 0
    var remaining: Int { bytes.count - offset }
    /// What keeps `bytes` alive; when set, large arrays are left in place (`GGUFMappedArray`).
    let owner: AnyObject?
    /// Arrays longer than this are left in the mapping rather than decoded into values.
    static let mappedArrayThreshold: UInt64 = 1024

    init(bytes: UnsafeRawBufferPointer, owner: AnyObject? = nil) { self.bytes = bytes; self.owner = owner }

    mutating func read<T: FixedWidthInteger>(_: T.Type, field: String) throws -> T {
        guard remaining >= MemoryLayout<T>.size else { throw GGUFError.truncated(field: field, offset: offset, fileSize: bytes.count) }
        let v = bytes.loadUnaligned(fromByteOffset: offset, as: T.self)
        offset += MemoryLayout<T>.size
        return T(littleEndian: v)
    }

    mutating func readString(field: String) throws -> String {
        let start = offset
        let length = try read(UInt64.self, field: "\(field) length")
        guard length <= UInt64(remaining) else { throw GGUFError.truncated(field: field, offset: start, fileSize: bytes.count) }
        let slice = UnsafeRawBufferPointer(rebasing: bytes[offset..<offset + Int(length)])
        offset += Int(length)
        guard let s = String(validating: slice, as: UTF8.self) else { throw GGUFError.invalidUTF8(field: field, offset: start) }
        return s
    }

    /// Arrays nest at most this many levels (an array of arrays is two); deeper nesting is refused
    /// before its recursion can exhaust the stack.
    static let deepestNesting = 4

    /// Reads one value of `type`; `depth` counts the arrays it is inside.
    mutating func readValue(_ type: GGUFValueType, key: String, depth: Int = 0) throws -> GGUFValue {
        let field = "value of '\(key)'"
        switch type {
        case .uint8: return .uint8(try read(UInt8.self, field: field))
        case .int8: return .int8(try read(Int8.self, field: field))
        case .uint16: return .uint16(try read(UInt16.self, field: field))
        case .int16: return .int16(try read(Int16.self, field: field))
        case .uint32: return .uint32(try read(UInt32.self, field: field))
        case .int32: return .int32(try read(Int32.self, field: field))
        case .uint64: return .uint64(try read(UInt64.self, field: field))
        case .int64: return .int64(try read(Int64.self, field: field))
        case .float32: return .float32(Float(bitPattern: try read(UInt32.self, field: field)))
        case .float64: return .float64(Double(bitPattern: try read(UInt64.self, field: field)))
        case .bool: return .bool(try read(UInt8.self, field: field) != 0)
        case .string: return .string(try readString(field: field))
        case .array:
            guard depth < Self.deepestNesting else { throw GGUFError.nestingTooDeep(key: key, offset: offset) }
            let typeOffset = offset
            let rawType = try read(UInt32.self, field: "element type of '\(key)'")
            guard let elementType = GGUFValueType(rawValue: rawType) else {
                throw GGUFError.unknownValueType(key: key, type: rawType, offset: typeOffset)
            }
            let countOffset = offset
            let count = try read(UInt64.self, field: "element count of '\(key)'")
            // Strings take at least their 8-byte length; nested arrays at least 12 bytes.
            let minimum = UInt64(elementType.fixedSize ?? (elementType == .string ? 8 : 12))
            guard count <= UInt64(remaining) / minimum else {
                throw GGUFError.implausibleCount(field: "element count of '\(key)'", count: count, offset: countOffset)
            }
            let start = offset
            if count > Self.mappedArrayThreshold && elementType != .array, let owner {
                // Validate and skip; the elements are decoded when asked for.
                if let size = elementType.fixedSize {
                    guard count * UInt64(size) <= UInt64(remaining) else { throw GGUFError.truncated(field: "elements of '\(key)'", offset: start, fileSize: bytes.count) }
                    offset += Int(count) * size
                } else {
                    for _ in 0..<Int(count) { _ = try readValue(elementType, key: key, depth: depth + 1) }
                }
                return .mappedArray(GGUFMappedArray(elementType: elementType, count: Int(count),
                                                    bytes: UnsafeRawBufferPointer(rebasing: bytes[start..<offset]), owner: owner))
            }
            var items: [GGUFValue] = []
            items.reserveCapacity(Int(count))
            for _ in 0..<Int(count) { items.append(try readValue(elementType, key: key, depth: depth + 1)) }
            return .array(elementType, items)
        }
    }
}
