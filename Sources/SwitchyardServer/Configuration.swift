/// How `switchyard serve` listens and how much it runs at once.
public struct ServerConfiguration: Sendable {
    /// The address to bind (`127.0.0.1` keeps the server on this machine).
    public var host: String
    /// The TCP port; 0 asks the system for a free one (the server prints the one it got).
    public var port: Int
    /// The model's id in requests and `/v1/models`.
    public var modelID: String
    /// The routing policy's name, sent back in every response's `X-Switchyard-Policy` header.
    public var policyLabel: String
    /// The most sequences generating at once, each in its own session (KV cache).
    public var parallel: Int
    /// The most requests waiting for a free slot; one more gets `429`.
    public var queueLimit: Int
    /// The largest request body read, in bytes; a larger one gets `413`.
    public var maxBodyBytes: Int

    public init(host: String = "127.0.0.1", port: Int = 8080, modelID: String, policyLabel: String,
                parallel: Int = 4, queueLimit: Int = 32, maxBodyBytes: Int = 4 << 20) {
        self.host = host; self.port = port; self.modelID = modelID; self.policyLabel = policyLabel
        self.parallel = max(1, parallel); self.queueLimit = max(0, queueLimit); self.maxBodyBytes = maxBodyBytes
    }
}
