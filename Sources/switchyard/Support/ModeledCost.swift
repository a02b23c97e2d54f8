import Switchyard

/// What an emulated unit's model says a run cost, beside the host time it took: a backend that
/// models its unit reports "modeled µs" and "modeled µJ" among its activity counters.
enum ModeledCost {
    /// One line per modeling backend: its modeled time and energy for `activity` (a difference of
    /// counters, or the totals) next to `hostSeconds` measured over the same work.
    static func lines(_ backends: [any Backend], activity: (any Backend) -> [String: Int], hostSeconds: Double, per unitName: String = "the run") -> [String] {
        backends.compactMap { backend in
            let counters = activity(backend)
            guard let micros = counters["modeled µs"] else { return nil }
            let joules = Double(counters["modeled µJ"] ?? 0) / 1e6
            var line = "\(backend.name): host \(milliseconds(hostSeconds)) ms, modeled unit \(milliseconds(Double(micros) / 1e6)) ms and \(milliseconds(joules)) mJ for \(unitName)"
            if let programs = counters["program runs"], let handoffs = counters["hand-offs"] {
                line += " (\(programs) program runs, \(handoffs) hand-offs)"
            }
            return line
        }
    }

    static func milliseconds(_ seconds: Double) -> String {
        String(Double(Int((seconds * 1e5).rounded())) / 100)
    }
}
