/// Text from a model file (metadata keys and values, tensor names, the file's path) made fit for a
/// one-line error message or listing: a hostile file can put newlines, terminal escape sequences or
/// bidirectional overrides in any string it holds, and megabytes of it.
public enum MessageText {
    /// `text` with control, format and line-breaking characters written as escapes (`\n`, `\t`,
    /// `\r`, otherwise `\u{1B}`), cut after `limit` characters with a trailing `…`.
    public static func printable(_ text: String, limit: Int = 120) -> String {
        var out = ""
        var count = 0
        for scalar in text.unicodeScalars {
            if count == limit { return out + "…" }
            count += 1
            switch scalar {
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                switch scalar.properties.generalCategory {
                case .control, .format, .lineSeparator, .paragraphSeparator, .surrogate, .unassigned, .privateUse:
                    out += "\\u{" + String(scalar.value, radix: 16, uppercase: true) + "}"
                default:
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out
    }
}
