/// Holds back streamed text that might be the start of a stop string, and reports when one appears.
struct StopStringFilter {
    let stops: [String]
    private var held = ""

    init(_ stops: [String]) { self.stops = stops.filter { !$0.isEmpty } }

    /// Takes new text; returns what is safe to show, and whether a stop string was reached (in which
    /// case the text returned is everything before the earliest one).
    mutating func push(_ text: String) -> (ready: String, stopped: Bool) {
        held += text
        // The stop string that starts first ends the text, whichever place it has in the list.
        if let first = stops.compactMap({ held.range(of: $0)?.lowerBound }).min() {
            let ready = String(held[..<first])
            held = ""
            return (ready, true)
        }
        // Keep the longest tail of `held` that is a prefix of some stop string.
        var keep = 0
        for stop in stops {
            for length in stride(from: min(stop.count, held.count), to: 0, by: -1) where length > keep {
                if held.hasSuffix(String(stop.prefix(length))) { keep = length; break }
            }
        }
        let ready = String(held.dropLast(keep))
        held = String(held.suffix(keep))
        return (ready, false)
    }

    /// Whatever is still held at the end.
    mutating func flush() -> String { defer { held = "" }; return held }
}

extension String {
    /// The first range of `needle` (stdlib only, no Foundation).
    func range(of needle: String) -> Range<String.Index>? {
        guard !needle.isEmpty else { return nil }
        var start = startIndex
        while start < endIndex {
            if self[start...].hasPrefix(needle) { return start..<index(start, offsetBy: needle.count) }
            start = index(after: start)
        }
        return nil
    }
}
