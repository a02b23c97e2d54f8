import Switchyard

/// `simulate`'s results as text, JSON and a chart of decode speed over a sustained run.
struct SimulationReport {
    let model: String
    let device: DeviceProfile
    let promptTokens: Int, generate: Int, context: Int
    let minutes: Double
    let results: [PolicySimulation]
    let calibrationNote: String?

    private func fixed(_ x: Double, _ digits: Int = 1) -> String {
        guard x.isFinite else { return "–" }
        guard abs(x) < 1e12 else { return "\(x)" }
        let scale = pow(10, Double(digits))
        return String(Double(Int((x * scale).rounded())) / scale)
    }

    var markdown: String {
        var lines = [
            "model \(model) on \(device.name) (\(device.description)); prompt \(promptTokens) tokens, \(generate) generated, KV cache \(context); \(fixed(minutes, 0)) minutes sustained",
            "",
            "| policy | prefill tok/s | time to first token ms | decode tok/s | decode mJ/token | decode ms/token by unit | hand-offs per token | after \(fixed(minutes, 0)) min tok/s | throttles after |",
            "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
        ]
        for r in results {
            let units = ComputeUnit.allCases.compactMap { u in r.decode.seconds[u].map { "\(u.rawValue) \(fixed($0 * 1000, 2))" } }.joined(separator: ", ")
            let handoffs = "\(r.decode.handoffs) (\(fixed(r.decode.handoffSeconds * 1000, 2)) ms)"
            let onset = r.thermal.throttleAfter.map { $0 > minutes * 60 ? "not within the run" : "\(fixed($0, 0)) s (to \(fixed(100 * r.thermal.speedFraction, 0))%)" } ?? "never"
            lines.append("| \(r.policy) | \(fixed(r.prefillTokensPerSecond)) | \(fixed(r.prefillSeconds * 1000)) | \(fixed(r.decodeTokensPerSecond)) | \(fixed(r.decodeEnergyJoules * 1000, 2)) | \(units) | \(handoffs) | \(fixed(r.thermal.sustained)) | \(onset) |")
        }
        lines.append("")
        for r in results {
            let placement = ComputeUnit.allCases.compactMap { u in r.opsByUnit[u].map { "\(u.rawValue) \($0)" } }.joined(separator: ", ")
            lines.append("\(r.policy): decode ops by unit: \(placement); \(r.decode.dispatches) dispatches\(r.decode.steps > 0 ? " in \(r.decode.steps) dependent steps" : ""), \(r.decode.programs) program runs; device power \(fixed(r.thermal.watts, 2)) W at full speed (sustained budget \(fixed(device.thermal.sustainedWatts, 2)) W)")
            for off in r.offAccelerator { lines.append("  off the accelerator: \(off.count) × \(off.kind): \(off.reason)") }
        }
        if let calibrationNote { lines.append("note: \(calibrationNote)") }
        return lines.joined(separator: "\n")
    }

    var json: String {
        func pass(_ p: PassPricing) -> String {
            let units = ComputeUnit.allCases.compactMap { u in p.seconds[u].map { "\(JSON.string(u.rawValue)): \(JSON.number($0))" } }.joined(separator: ", ")
            return "{\"seconds_by_unit\": {\(units)}, \"handoffs\": \(p.handoffs), \"handoff_seconds\": \(JSON.number(p.handoffSeconds)), \"handoff_bytes\": \(JSON.number(p.handoffBytes)), \"dispatches\": \(p.dispatches), \"dependent_steps\": \(p.steps), \"program_runs\": \(p.programs)}"
        }
        let rows = results.map { r in
            let off = r.offAccelerator.map { "{\"ops\": \(JSON.string($0.kind)), \"count\": \($0.count), \"reason\": \(JSON.string($0.reason))}" }.joined(separator: ", ")
            let series = stride(from: 0.0, through: minutes * 60, by: max(minutes * 60 / 60, 1)).map { "[\(JSON.number($0)), \(JSON.number(r.thermal.speed(at: $0)))]" }.joined(separator: ", ")
            return """
                {"policy": \(JSON.string(r.policy)), "prefill_tok_s": \(JSON.number(r.prefillTokensPerSecond)), "time_to_first_token_s": \(JSON.number(r.prefillSeconds)), \
                "decode_tok_s": \(JSON.number(r.decodeTokensPerSecond)), "decode_joules_per_token": \(JSON.number(r.decodeEnergyJoules)), \
                "decode": \(pass(r.decode)), "prefill": \(pass(r.prefill)), "device_watts": \(JSON.number(r.thermal.watts)), \
                "throttle_after_s": \(r.thermal.throttleAfter.map(JSON.number) ?? "null"), "throttled_fraction": \(JSON.number(r.thermal.speedFraction)), \
                "sustained_tok_s": \(JSON.number(r.thermal.sustained)), "average_tok_s": \(JSON.number(r.thermal.average)), \
                "off_accelerator": [\(off)], "decode_tok_s_over_time": [\(series)]}
                """
        }
        return """
            {"model": \(JSON.string(model)), "profile": \(JSON.string(device.name)), "prompt_tokens": \(promptTokens), "generated": \(generate), \
            "context": \(context), "minutes": \(JSON.number(minutes)), "policies": [
            \(rows.joined(separator: ",\n"))
            ]}
            """
    }

    /// Decode tok/s against time over the sustained run, one line per policy.
    var chart: String {
        let width = 640, height = 320, left = 60, top = 40, plotW = 540, plotH = 220
        let total = max(minutes * 60, 1)
        let peak = max(results.map(\.thermal.fullSpeed).max() ?? 1, 1e-9) * 1.1
        let colours = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd"]
        func x(_ t: Double) -> Int { left + Int(Double(plotW) * t / total) }
        func y(_ v: Double) -> Int { top + plotH - Int(Double(plotH) * v / peak) }
        var svg = [
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(width)\" height=\"\(height)\" font-family=\"sans-serif\" font-size=\"11\">",
            "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>",
            "<text x=\"10\" y=\"18\" font-size=\"13\">\(TextFile.xmlEscaped(model)) on \(TextFile.xmlEscaped(device.name)): modeled decode tok/s over \(fixed(minutes, 0)) minutes</text>",
            "<line x1=\"\(left)\" y1=\"\(top + plotH)\" x2=\"\(left + plotW)\" y2=\"\(top + plotH)\" stroke=\"black\"/>",
            "<line x1=\"\(left)\" y1=\"\(top)\" x2=\"\(left)\" y2=\"\(top + plotH)\" stroke=\"black\"/>",
            "<text x=\"\(left + plotW / 2 - 30)\" y=\"\(top + plotH + 30)\">minutes</text>",
            "<text x=\"\(left - 50)\" y=\"\(top - 6)\">tok/s</text>",
        ]
        for i in 0...4 {
            let v = peak * Double(i) / 4.4
            svg.append("<text x=\"\(left - 45)\" y=\"\(y(v) + 4)\">\(fixed(v))</text>")
            let t = total * Double(i) / 4
            svg.append("<text x=\"\(x(t) - 8)\" y=\"\(top + plotH + 15)\">\(fixed(t / 60))</text>")
        }
        for (i, r) in results.enumerated() {
            let colour = colours[i % colours.count]
            var points: [String] = []
            var t = 0.0
            let step = total / 200
            while t <= total { points.append("\(x(t)),\(y(r.thermal.speed(at: t)))"); t += step }
            svg.append("<polyline fill=\"none\" stroke=\"\(colour)\" stroke-width=\"2\" points=\"\(points.joined(separator: " "))\"/>")
            svg.append("<text x=\"\(left + 10)\" y=\"\(top + 14 + 14 * i)\" fill=\"\(colour)\">\(TextFile.xmlEscaped(r.policy)): \(fixed(r.thermal.fullSpeed)) → \(fixed(r.thermal.sustained)) tok/s, \(fixed(r.decodeEnergyJoules * 1000, 1)) mJ/token</text>")
        }
        svg.append("</svg>")
        return svg.joined(separator: "\n") + "\n"
    }
}

#if canImport(Glibc)
import Glibc
#endif
