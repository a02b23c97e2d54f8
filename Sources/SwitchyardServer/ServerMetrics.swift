import Prometheus
import SwitchyardModels

/// What `GET /metrics` reports, in Prometheus's text format (swift-prometheus): requests by endpoint
/// and status, tokens in and out, prefill and decode speed, time to first token, and the slots and
/// queue right now.
final class ServerMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()
    private let promptTokens: Counter
    private let completionTokens: Counter
    private let prefillSeconds: Counter
    private let decodeSeconds: Counter
    private let prefillRate: Gauge
    private let decodeRate: Gauge
    private let active: Gauge
    private let queueDepth: Gauge
    private let cancelled: Counter
    private let firstToken: ValueHistogram

    init(parallel: Int, queueLimit: Int) {
        promptTokens = registry.makeCounter(name: "switchyard_prompt_tokens_total", help: "Prompt tokens prefilled.")
        completionTokens = registry.makeCounter(name: "switchyard_completion_tokens_total", help: "Tokens generated.")
        prefillSeconds = registry.makeCounter(name: "switchyard_prefill_seconds_total", help: "Seconds spent prefilling prompts.")
        decodeSeconds = registry.makeCounter(name: "switchyard_decode_seconds_total", help: "Seconds spent generating after the prompt.")
        prefillRate = registry.makeGauge(name: "switchyard_prefill_tokens_per_second", help: "Prefill speed of the last finished request.")
        decodeRate = registry.makeGauge(name: "switchyard_decode_tokens_per_second", help: "Decode speed of the last finished request.")
        active = registry.makeGauge(name: "switchyard_requests_active", help: "Requests generating now (each holds a slot).")
        queueDepth = registry.makeGauge(name: "switchyard_queue_depth", help: "Requests waiting for a free slot.")
        cancelled = registry.makeCounter(name: "switchyard_generations_cancelled_total", help: "Generations stopped because their client went away.")
        firstToken = registry.makeValueHistogram(name: "switchyard_time_to_first_token_seconds",
                                                 buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
                                                 help: "Seconds from a request's arrival to its first generated text.")
        registry.makeGauge(name: "switchyard_slots", help: "Sequences that can generate at once (--parallel).").set(Double(parallel))
        registry.makeGauge(name: "switchyard_queue_limit", help: "Requests that can wait for a slot before 429.").set(Double(queueLimit))
    }

    /// Counts one answered request.
    func requestAnswered(endpoint: String, status: Int) {
        registry.makeCounter(name: "switchyard_requests_total", labels: [("endpoint", endpoint), ("status", String(status))],
                             help: "HTTP requests answered, by endpoint and status.").increment()
    }

    /// Records a finished (or cancelled) generation's counts and speeds.
    func generationFinished(_ summary: GenerationSummary, completionTokens generated: Int) {
        promptTokens.increment(by: Int64(summary.promptTokens))
        completionTokens.increment(by: Int64(generated))
        prefillSeconds.increment(by: summary.prefillSeconds)
        decodeSeconds.increment(by: summary.decodeSeconds)
        if summary.prefillTokensPerSecond > 0 { prefillRate.set(summary.prefillTokensPerSecond) }
        if summary.decodeTokensPerSecond > 0 { decodeRate.set(summary.decodeTokensPerSecond) }
    }

    /// Counts a generation stopped because its client disconnected.
    func generationCancelled() { cancelled.increment() }

    /// Records the time from a request's arrival to its first text.
    func firstTokenArrived(after seconds: Double) { firstToken.record(seconds) }

    /// The slot pool's occupancy now.
    func occupancy(active requests: Int, waiting: Int) {
        active.set(Double(requests))
        queueDepth.set(Double(waiting))
    }

    /// Everything, in Prometheus's text exposition format.
    func render() -> String { registry.emitToString() }
}
