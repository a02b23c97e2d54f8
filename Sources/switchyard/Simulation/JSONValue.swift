/// A parsed JSON document (no Foundation): enough to read device profiles and model configs.
enum JSONValue: Equatable {
    case null, bool(Bool), number(Double), string(String), array([JSONValue]), object([String: JSONValue])

    struct ParseError: Error, CustomStringConvertible {
        let message: String, offset: Int
        var description: String { "invalid JSON at byte \(offset): \(message)" }
    }

    subscript(key: String) -> JSONValue? { if case .object(let o) = self { return o[key] } else { return nil } }
    var number: Double? { if case .number(let x) = self { return x } else { return nil } }
    var string: String? { if case .string(let s) = self { return s } else { return nil } }
    var object: [String: JSONValue]? { if case .object(let o) = self { return o } else { return nil } }

    static func parse(_ text: String) throws -> JSONValue {
        var parser = Parser(bytes: Array(text.utf8))
        let value = try parser.value()
        parser.skipSpace()
        guard parser.at == parser.bytes.count else { throw ParseError(message: "text after the value", offset: parser.at) }
        return value
    }

    private struct Parser {
        let bytes: [UInt8]
        var at = 0

        mutating func skipSpace() { while at < bytes.count, [0x20, 0x0A, 0x0D, 0x09].contains(bytes[at]) { at += 1 } }

        mutating func expect(_ literal: String) throws {
            for b in literal.utf8 {
                guard at < bytes.count, bytes[at] == b else { throw ParseError(message: "expected '\(literal)'", offset: at) }
                at += 1
            }
        }

        mutating func value() throws -> JSONValue {
            skipSpace()
            guard at < bytes.count else { throw ParseError(message: "unexpected end", offset: at) }
            switch bytes[at] {
            case UInt8(ascii: "{"):
                at += 1
                var object: [String: JSONValue] = [:]
                skipSpace()
                if at < bytes.count, bytes[at] == UInt8(ascii: "}") { at += 1; return .object(object) }
                while true {
                    skipSpace()
                    guard case .string(let key) = try value() else { throw ParseError(message: "expected a key", offset: at) }
                    skipSpace()
                    try expect(":")
                    object[key] = try value()
                    skipSpace()
                    guard at < bytes.count else { throw ParseError(message: "unexpected end in an object", offset: at) }
                    if bytes[at] == UInt8(ascii: ",") { at += 1; continue }
                    try expect("}")
                    return .object(object)
                }
            case UInt8(ascii: "["):
                at += 1
                var items: [JSONValue] = []
                skipSpace()
                if at < bytes.count, bytes[at] == UInt8(ascii: "]") { at += 1; return .array(items) }
                while true {
                    items.append(try value())
                    skipSpace()
                    guard at < bytes.count else { throw ParseError(message: "unexpected end in an array", offset: at) }
                    if bytes[at] == UInt8(ascii: ",") { at += 1; continue }
                    try expect("]")
                    return .array(items)
                }
            case UInt8(ascii: "\""):
                at += 1
                var scalars = String.UnicodeScalarView()
                var raw: [UInt8] = []
                func flush() { scalars.append(contentsOf: String(decoding: raw, as: UTF8.self).unicodeScalars); raw = [] }
                while true {
                    guard at < bytes.count else { throw ParseError(message: "unterminated string", offset: at) }
                    let b = bytes[at]; at += 1
                    if b == UInt8(ascii: "\"") { flush(); return .string(String(scalars)) }
                    if b != UInt8(ascii: "\\") { raw.append(b); continue }
                    guard at < bytes.count else { throw ParseError(message: "unterminated escape", offset: at) }
                    let e = bytes[at]; at += 1
                    flush()
                    switch e {
                    case UInt8(ascii: "n"): scalars.append("\n")
                    case UInt8(ascii: "t"): scalars.append("\t")
                    case UInt8(ascii: "r"): scalars.append("\r")
                    case UInt8(ascii: "b"): scalars.append("\u{8}")
                    case UInt8(ascii: "f"): scalars.append("\u{c}")
                    case UInt8(ascii: "u"):
                        guard at + 4 <= bytes.count, let code = UInt32(String(decoding: bytes[at..<at + 4], as: UTF8.self), radix: 16) else {
                            throw ParseError(message: "bad \\u escape", offset: at)
                        }
                        at += 4
                        scalars.append(Unicode.Scalar(code) ?? "\u{FFFD}")
                    default: scalars.append(Unicode.Scalar(e))
                    }
                }
            case UInt8(ascii: "t"): try expect("true"); return .bool(true)
            case UInt8(ascii: "f"): try expect("false"); return .bool(false)
            case UInt8(ascii: "n"): try expect("null"); return .null
            default:
                let start = at
                while at < bytes.count, "+-0123456789.eE".utf8.contains(bytes[at]) { at += 1 }
                guard let x = Double(String(decoding: bytes[start..<at], as: UTF8.self)) else {
                    throw ParseError(message: "expected a value", offset: start)
                }
                return .number(x)
            }
        }
    }
}
