#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reading a whole text file without Foundation (the tool stays small enough to carry to a device).
enum TextFile {
    struct ReadError: Error, CustomStringConvertible {
        let path: String
        let reason: String
        var description: String { "cannot read '\(path)': \(reason)" }
    }

    static func read(_ path: String) throws -> String {
        guard let handle = fopen(path, "rb") else { throw ReadError(path: path, reason: String(cString: strerror(errno))) }
        defer { fclose(handle) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = fread(&chunk, 1, chunk.count, handle)
            if n > 0 { bytes += chunk[0..<n] }
            if n < chunk.count { break }
        }
        if ferror(handle) != 0 { throw ReadError(path: path, reason: "read error") }
        guard let text = String(validating: bytes, as: UTF8.self) else { throw ReadError(path: path, reason: "not valid UTF-8") }
        return text
    }

    /// Writes `text` to `path`, replacing what was there.
    static func write(_ text: String, to path: String) throws {
        guard let handle = fopen(path, "w") else { throw ReadError(path: path, reason: String(cString: strerror(errno))) }
        defer { fclose(handle) }
        guard fputs(text, handle) >= 0 else { throw ReadError(path: path, reason: "write error") }
    }

    /// Writes `bytes` to `path`, replacing what was there.
    static func writeBytes(_ bytes: [UInt8], to path: String) throws {
        guard let handle = fopen(path, "wb") else { throw ReadError(path: path, reason: String(cString: strerror(errno))) }
        defer { fclose(handle) }
        guard bytes.isEmpty || fwrite(bytes, 1, bytes.count, handle) == bytes.count else { throw ReadError(path: path, reason: "write error") }
    }

    /// `text` with XML's special characters escaped (for SVG).
    static func xmlEscaped(_ text: String) -> String {
        text.replacingAll("&", "&amp;").replacingAll("<", "&lt;").replacingAll(">", "&gt;").replacingAll("\"", "&quot;")
    }
}

/// Writing to standard output without buffering surprises when streaming.
enum Console {
    static func write(_ text: String) {
        print(text, terminator: "")
        fflush(nil)  // every stream: C's `stdout` itself is a global Swift 6 will not read
    }
    /// Standard error is unbuffered: straight to file descriptor 2.
    static func error(_ text: String) {
        var text = text
        text.withUTF8 { bytes in
            var rest = bytes
            while !rest.isEmpty {
                #if canImport(Glibc)
                let n = Glibc.write(2, rest.baseAddress!, rest.count)
                #else
                let n = Darwin.write(2, rest.baseAddress!, rest.count)
                #endif
                if n <= 0 { return }
                rest = UnsafeBufferPointer(rebasing: rest[n...])
            }
        }
    }
}
