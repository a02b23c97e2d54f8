/// Why a GGUF file could not be read. Every case names the field or tensor at fault and, where it
/// applies, the byte offset in the file.
public enum GGUFError: Error, Sendable, Equatable, CustomStringConvertible {
    case cannotOpen(path: String, reason: String)
    case notGGUF(path: String)
    case unsupportedVersion(UInt32)
    case truncated(field: String, offset: Int, fileSize: Int)
    case implausibleCount(field: String, count: UInt64, offset: Int)
    case invalidUTF8(field: String, offset: Int)
    case unknownValueType(key: String, type: UInt32, offset: Int)
    case invalidAlignment(UInt64)
    case tooManyDimensions(tensor: String, dimensions: UInt32, offset: Int)
    case invalidShape(tensor: String, shape: [UInt64], offset: Int)
    case unsupportedTensorType(tensor: String, typeID: UInt32, typeName: String, offset: Int)
    case rowNotWholeBlocks(tensor: String, rowLength: Int, blockSize: Int)
    case misalignedTensor(tensor: String, offset: UInt64, alignment: Int)
    case tensorOutOfBounds(tensor: String, offset: UInt64, size: Int, fileSize: Int)
    case duplicateTensor(String)
    case duplicateKey(String)
    case nestingTooDeep(key: String, offset: Int)
    case shapeTooLarge(tensor: String, size: Int)

    public var description: String {
        switch self {
        case .cannotOpen(let path, let reason):
            return "cannot open model file '\(MessageText.printable(path, limit: 400))': \(reason)"
        case .notGGUF(let path):
            return "'\(MessageText.printable(path, limit: 400))' is not a GGUF file (its first four bytes are not 'GGUF')"
        case .unsupportedVersion(let v):
            return "GGUF version \(v) is not supported (versions 2 and 3 are)"
        case .truncated(let field, let offset, let fileSize):
            return "GGUF file is truncated: \(MessageText.printable(field)) at byte \(offset) runs past the end of the file (\(fileSize) bytes)"
        case .implausibleCount(let field, let count, let offset):
            return "GGUF \(MessageText.printable(field)) at byte \(offset) is \(count), more than the file could hold"
        case .invalidUTF8(let field, let offset):
            return "GGUF \(MessageText.printable(field)) at byte \(offset) is not valid UTF-8"
        case .unknownValueType(let key, let type, let offset):
            return "GGUF metadata key '\(MessageText.printable(key))' has unknown value type \(type) at byte \(offset)"
        case .invalidAlignment(let a):
            return "GGUF general.alignment is \(a); it must be a non-zero power of two"
        case .tooManyDimensions(let tensor, let n, let offset):
            return "tensor '\(MessageText.printable(tensor))' declares \(n) dimensions at byte \(offset); at most 4 are allowed"
        case .invalidShape(let tensor, let shape, let offset):
            return "tensor '\(MessageText.printable(tensor))' has an invalid shape \(shape) at byte \(offset) (a zero dimension or an element count that overflows)"
        case .unsupportedTensorType(let tensor, let id, let name, let offset):
            return "tensor '\(MessageText.printable(tensor))' has type \(MessageText.printable(name)) (ggml type id \(id), at byte \(offset)), which Switchyard does not support"
        case .rowNotWholeBlocks(let tensor, let rowLength, let blockSize):
            return "tensor '\(MessageText.printable(tensor))' has rows of \(rowLength) elements, not a multiple of its format's block of \(blockSize)"
        case .misalignedTensor(let tensor, let offset, let alignment):
            return "tensor '\(MessageText.printable(tensor))' data offset \(offset) is not a multiple of the file's alignment \(alignment)"
        case .tensorOutOfBounds(let tensor, let offset, let size, let fileSize):
            return "tensor '\(MessageText.printable(tensor))' data (\(size) bytes at data offset \(offset)) runs past the end of the file (\(fileSize) bytes)"
        case .duplicateTensor(let name):
            return "tensor '\(MessageText.printable(name))' appears twice in the GGUF file"
        case .duplicateKey(let key):
            return "metadata key '\(MessageText.printable(key))' appears twice in the GGUF file"
        case .nestingTooDeep(let key, let offset):
            return "GGUF metadata key '\(MessageText.printable(key))' nests arrays more than \(ByteCursor.deepestNesting) deep at byte \(offset)"
        case .shapeTooLarge(let tensor, let size):
            return "tensor '\(MessageText.printable(tensor))' would take \(size) bytes, more address space than can be reserved to stand in for its missing data"
        }
    }
}
