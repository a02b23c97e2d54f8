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
        promptTokens = registry.makeCounter(descriptor: .metric("switchyard_prompt_tokens_total", "Prompt tokens prefilled."))
        completionTokens = registry.makeCounter(descriptor: .metric("switchyard_completion_tokens_total", "Tokens generated."))
        prefillSeconds = registry.makeCounter(descriptor: .metric("switchyard_prefill_seconds_total", "Seconds spent prefilling prompts."))
        decodeSeconds = registry.makeCounter(descriptor: .metric("switchyard_decode_seconds_total", "Seconds spent generating after the prompt."))
        prefillRate = registry.makeGauge(descriptor: .metric("switchyard_prefill_tokens_per_second", "Prefill speed of the last finished request."))
        decodeRate = registry.makeGauge(descriptor: .metric("switchyard_decode_tokens_per_second", "Decode speed of the last finished request."))
        active = registry.makeGauge(descriptor: .metric("switchyard_requests_active", "Requests generating now (each holds a slot)."))
        queueDepth = registry.makeGauge(descriptor: .metric("switchyard_queue_depth", "Requests waiting for a free slot."))
        cancelled = registry.makeCounter(descriptor: .metric("switchyard_generations_cancelled_total", "Generations stopped because their client went away."))
        firstToken = registry.makeValueHistogram(descriptor: .metric("switchyard_time_to_first_token_seconds", "Seconds from a request's arrival to its first generated text."), buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30])
        registry.makeGauge(descriptor: .metric("switchyard_slots", "Sequences that can generate at once (--parallel).")).set(Double(parallel))
        registry.makeGauge(descriptor: .metric("switchyard_queue_limit", "Requests that can wait for a slot before 429.")).set(Double(queueLimit))
    }

    /// Counts one answered request.
    func requestAnswered(endpoint: String, status: Int) {
        registry.makeCounter(descriptor: .metric("switchyard_requests_total", "HTTP requests answered, by endpoint and status."), labels: [("endpoint", endpoint), ("status", String(status))]).increment()
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

extension MetricNameDescriptor {
    /// A metric named in full by `name` (no namespace or unit parts), with its help text.
    static func metric(_ name: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(metricName: name, unitName: "", helpText: help)
    }
}
