import Switchyard
import SwitchyardModels
#if canImport(Glibc)
import Glibc
#endif

/// `bench`'s figures: per runner the median and range over repetitions of prefill and decode
/// speed, time to first token and decode bandwidth, the ratio to llama.cpp, and where time goes.
struct BenchReport {
    struct Stat { let median: Double; let min: Double; let max: Double }
    struct Row {
        let label: String
        let prefill: Stat, decode: Stat, firstTokenMs: Stat
        let decodeGBps: Stat?
        let profile: [(phase: String, key: OpProfile.Key, seconds: Double)]
        /// Backend counters per decode token (memory counters: their change per token).
        let activity: [String: Double]
    }

    let modelName: String, modelPath: String
    let promptTokens: Int, generate: Int, repetitions: Int, threads: Int
    /// Tokens in the cache when decode starts.
    let depth: Int
    let rows: [Row]
    let peakRSSBytes: Int
    let cpuTier: String

    init(model: Model, promptTokens: Int, generate: Int, depth: Int, repetitions: Int, threads: Int, runners: [BenchRunner]) {
        modelName = model.name; modelPath = model.path; self.depth = depth
        self.promptTokens = promptTokens; self.generate = generate; self.repetitions = repetitions; self.threads = threads
        rows = runners.map { r in
            let decodeRates = r.samples.map { Double(generate) / $0.decodeSeconds }
            var profile: [(String, OpProfile.Key, Double)] = []
            for (phase, p) in [("prefill", r.prefillProfile), ("decode", r.decodeProfile)] {
                for entry in p?.seconds ?? [] { profile.append((phase, entry.key, entry.seconds / Double(repetitions))) }
            }
            return Row(label: r.label,
                       prefill: Self.stat(r.samples.map { Double(promptTokens) / $0.prefillSeconds }),
                       decode: Self.stat(decodeRates),
                       firstTokenMs: Self.stat(r.samples.map { $0.firstTokenSeconds * 1000 }),
                       decodeGBps: r.bytesPerDecodeToken.map { bytes in Self.stat(decodeRates.map { $0 * Double(bytes) / 1e9 }) },
                       profile: profile, activity: r.activityPerDecodeToken)
        }
        var usage = rusage()
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        peakRSSBytes = Int(usage.ru_maxrss) * 1024
        cpuTier = BenchReport.tier
    }

    static var tier: String { BackendCatalog.cpuTier }

    static func stat(_ values: [Double]) -> Stat {
        let sorted = values.sorted()
        let median = sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
        return Stat(median: median, min: sorted.first ?? 0, max: sorted.last ?? 0)
    }

    /// The llama.cpp row, if measured.
    var peer: Row? { rows.first { $0.label.hasPrefix("llama.cpp") } }

    private func fixed(_ x: Double, _ digits: Int = 1) -> String {
        var s = String(Double(Int((x * pow(10, Double(digits))).rounded())) / pow(10, Double(digits)))
        if digits == 0, s.hasSuffix(".0") { s.removeLast(2) }
        return s
    }

    private func cell(_ s: Stat, _ digits: Int = 1) -> String { "\(fixed(s.median, digits)) (\(fixed(s.min, digits))–\(fixed(s.max, digits)))" }

    var markdown: String {
        var lines = [
            "model: \(modelName) (\(modelPath)); prompt \(promptTokens) tokens, then \(generate) generated\(depth == promptTokens ? "" : " from \(depth) tokens in the cache"); \(threads) threads; median (min–max) of \(repetitions) repetitions; SIMD tier \(cpuTier)",
            "",
            "| runtime | prefill tok/s | decode tok/s | time to first token ms | decode GB/s | prefill vs llama.cpp | decode vs llama.cpp |",
            "| --- | --- | --- | --- | --- | --- | --- |",
        ]
        for row in rows {
            let ratios = peer.map { p in row.label == p.label ? ("1.00×", "1.00×") : ("\(fixed(row.prefill.median / p.prefill.median, 2))×", "\(fixed(row.decode.median / p.decode.median, 2))×") } ?? ("–", "–")
            lines.append("| \(row.label) | \(cell(row.prefill)) | \(cell(row.decode)) | \(cell(row.firstTokenMs)) | \(row.decodeGBps.map { cell($0, 2) } ?? "–") | \(ratios.0) | \(ratios.1) |")
        }
        lines.append("")
        lines.append("peak RSS of this process: \(peakRSSBytes / (1 << 20)) MiB")
        for row in rows where !row.activity.isEmpty {
            let parts = row.activity.sorted { $0.key < $1.key }.map { "\($0.key) \(fixed($0.value))" }
            lines.append("\(row.label) per decode token: " + parts.joined(separator: ", "))
            for (key, micros) in row.activity.sorted(by: { $0.key < $1.key }) where key.hasSuffix(" modeled µs") && micros > 0 {
                let unit = String(key.dropLast(" modeled µs".count))
                let energy = row.activity["\(unit) modeled µJ"] ?? 0
                lines.append("\(row.label) decode, \(unit): host \(fixed(1000 / row.decode.median, 2)) ms per token (\(fixed(row.decode.median)) tok/s); modeled unit \(fixed(micros / 1000, 2)) ms per token (\(fixed(1e6 / micros)) tok/s), \(fixed(energy / 1000, 2)) mJ per token")
            }
        }
        for row in rows where !row.profile.isEmpty {
            for phase in ["prefill", "decode"] {
                let entries = row.profile.filter { $0.phase == phase }
                let total = entries.reduce(0) { $0 + $1.seconds }
                guard total > 0 else { continue }
                let parts = entries.prefix(8).map { "\($0.key.kind.rawValue)@\($0.key.backend) \(fixed(100 * $0.seconds / total))%" }
                lines.append("\(row.label) \(phase) time by op: " + parts.joined(separator: ", "))
            }
        }
        return lines.joined(separator: "\n")
    }

    var json: String {
        func stat(_ s: Stat) -> String { "{\"median\": \(JSON.number(s.median)), \"min\": \(JSON.number(s.min)), \"max\": \(JSON.number(s.max))}" }
        let rowsJSON = rows.map { row in
            let profile = row.profile.map { "{\"phase\": \"\($0.phase)\", \"op\": \"\($0.key.kind.rawValue)\", \"backend\": \(JSON.string($0.key.backend)), \"seconds\": \(JSON.number($0.seconds))}" }
            return "{\"runtime\": \(JSON.string(row.label)), \"prefill_tok_s\": \(stat(row.prefill)), \"decode_tok_s\": \(stat(row.decode)), \"first_token_ms\": \(stat(row.firstTokenMs)), \"decode_gb_s\": \(row.decodeGBps.map(stat) ?? "null"), \"profile_seconds_per_repetition\": [\(profile.joined(separator: ", "))], \"activity_per_decode_token\": {\(row.activity.sorted { $0.key < $1.key }.map { "\(JSON.string($0.key)): \(JSON.number($0.value))" }.joined(separator: ", "))}}"
        }
        return "{\"model\": \(JSON.string(modelName)), \"path\": \(JSON.string(modelPath)), \"prompt_tokens\": \(promptTokens), \"generated_tokens\": \(generate), \"decode_depth\": \(depth), \"repetitions\": \(repetitions), \"threads\": \(threads), \"cpu_tier\": \(JSON.string(cpuTier)), \"peak_rss_bytes\": \(peakRSSBytes), \"runtimes\": [\n  \(rowsJSON.joined(separator: ",\n  "))\n]}"
    }
}

/// A picture of the report: prefill and decode tok/s per runtime, as bars with min–max whiskers.
struct BenchChart {
    let report: BenchReport

    func write(to path: String) throws {
        let rows = report.rows
        let width = 760, barHeight = 22, gap = 8, left = 290
        let panelHeight = rows.count * (barHeight + gap) + 40
        var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(width)\" height=\"\(2 * panelHeight + 40)\" font-family=\"sans-serif\" font-size=\"12\">\n"
        svg += "<text x=\"10\" y=\"20\" font-size=\"14\">\(escape(report.modelName)): \(report.promptTokens)-token prefill, \(report.generate)-token decode, \(report.threads) threads</text>\n"
        for (panel, (title, pick)) in [("prefill tok/s", { (r: BenchReport.Row) in r.prefill }), ("decode tok/s", { (r: BenchReport.Row) in r.decode })].enumerated() {
            let top = 40 + panel * panelHeight
            let scale = Double(width - left - 60) / max(rows.map { pick($0).max }.max() ?? 1, 1)
            svg += "<text x=\"10\" y=\"\(top + 14)\" font-weight=\"bold\">\(title)</text>\n"
            for (i, row) in rows.enumerated() {
                let y = top + 24 + i * (barHeight + gap)
                let s = pick(row)
                let color = row.label.hasPrefix("llama.cpp") ? "#999999" : "#3b6fb6"
                svg += "<text x=\"10\" y=\"\(y + 15)\">\(escape(row.label))</text>\n"
                svg += "<rect x=\"\(left)\" y=\"\(y)\" width=\"\(Int(s.median * scale))\" height=\"\(barHeight)\" fill=\"\(color)\"/>\n"
                svg += "<line x1=\"\(left + Int(s.min * scale))\" x2=\"\(left + Int(s.max * scale))\" y1=\"\(y + barHeight / 2)\" y2=\"\(y + barHeight / 2)\" stroke=\"black\"/>\n"
                svg += "<text x=\"\(left + Int(s.max * scale) + 6)\" y=\"\(y + 15)\">\(Int(s.median.rounded()))</text>\n"
            }
        }
        svg += "</svg>\n"
        try TextFile.write(svg, to: path)
    }

    private func escape(_ s: String) -> String { TextFile.xmlEscaped(s) }
}

extension String {
    func replacingAll(_ target: String, _ replacement: String) -> String {
        split(separator: Character(target), omittingEmptySubsequences: false).joined(separator: replacement)
    }
}
