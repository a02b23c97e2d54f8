/// Just enough JSON writing for `--json` outputs (no Foundation).
enum JSON {
    static func string(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }

    /// A float as JSON (non-finite values become null).
    static func number(_ x: Float) -> String { x.isFinite ? "\(x)" : "null" }
    static func number(_ x: Double) -> String { x.isFinite ? "\(x)" : "null" }
}
