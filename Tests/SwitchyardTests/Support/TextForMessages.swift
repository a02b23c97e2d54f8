import Foundation

/// How test failure messages show bytes and strings.
enum TextForMessages {
    /// Bytes as lowercase hex, e.g. "e29681".
    static func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }

    /// A string in quotes with control, format and non-space whitespace characters escaped, so a
    /// failure shows exactly which text was tokenized.
    static func escaped(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            case "\"": out += "\\\""
            default:
                if scalar.value < 0x20 || scalar.properties.generalCategory == .format || scalar.properties.isWhitespace && scalar != " " {
                    out += "\\u{\(String(scalar.value, radix: 16))}"
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}
