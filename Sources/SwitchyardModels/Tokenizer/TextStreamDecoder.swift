/// Turns a stream of token bytes into text pieces that never split a character.
///
/// A byte-level token can end in the middle of a multi-byte UTF-8 sequence (an emoji is often two
/// or three tokens). `push` returns all text that is complete so far and holds back a trailing
/// sequence that is a valid start of a character but not yet finished; `flush` returns whatever is
/// held back at the end of the stream. Invalid bytes become U+FFFD exactly as decoding the whole
/// stream at once would make them, so the concatenated pieces equal
/// `String(decoding: allBytes, as: UTF8.self)`.
public struct TextStreamDecoder: Sendable {
    /// Bytes of an unfinished character (at most 3).
    private var pending: [UInt8] = []

    public init() {}

    /// The number of bytes held back waiting for the rest of a character.
    public var pendingByteCount: Int { pending.count }

    /// Adds one token's bytes; returns the text that is complete now (possibly empty).
    public mutating func push<Bytes: Sequence>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
        pending.append(contentsOf: bytes)
        let keep = Self.incompleteSuffixLength(pending)
        if keep == pending.count { return "" }
        let text = String(decoding: pending[..<(pending.count - keep)], as: UTF8.self)
        pending.removeFirst(pending.count - keep)
        return text
    }

    /// Adds the bytes `token` renders as with `tokenizer`; returns the text that is complete now.
    public mutating func push(token: Int32, from tokenizer: any Tokenizer, renderSpecial: Bool = false) -> String {
        push(tokenizer.bytes(of: token, renderSpecial: renderSpecial))
    }

    /// Ends the stream: returns the held-back bytes decoded (an unfinished character becomes U+FFFD)
    /// and empties the decoder.
    public mutating func flush() -> String {
        defer { pending.removeAll() }
        return String(decoding: pending, as: UTF8.self)
    }

    /// The length of the trailing bytes of `bytes` that form a valid but unfinished UTF-8 sequence
    /// (0 if the bytes end on a character boundary or in bytes that can never become valid).
    static func incompleteSuffixLength(_ bytes: [UInt8]) -> Int {
        // Find the last byte that is not a continuation byte, looking back at most 3 bytes.
        var start = bytes.count - 1
        var looked = 0
        while start >= 0 && looked < 3 && bytes[start] & 0xC0 == 0x80 { start -= 1; looked += 1 }
        guard start >= 0 else { return 0 }
        let lead = bytes[start]
        let needed: Int
        switch lead {
        case 0xC2...0xDF: needed = 2
        case 0xE0...0xEF: needed = 3
        case 0xF0...0xF4: needed = 4
        default: return 0   // ASCII, a stray continuation run, or a byte that never starts a character
        }
        let have = bytes.count - start
        guard have < needed else { return 0 }   // complete (or over-long run: invalid, emit now)
        // The bytes after the lead must be a valid beginning (Unicode table 3-7), else emit them now.
        if have >= 2 {
            let second = bytes[start + 1]
            let range: ClosedRange<UInt8>
            switch lead {
            case 0xE0: range = 0xA0...0xBF
            case 0xED: range = 0x80...0x9F
            case 0xF0: range = 0x90...0xBF
            case 0xF4: range = 0x80...0x8F
            default: range = 0x80...0xBF
            }
            guard range.contains(second) else { return 0 }
        }
        return have
    }
}
