import Switchyard

/// The unit's cost model (docs/neural-accelerator.md, "Cost model"): a roofline per op — the
/// larger of its arithmetic at the fp16 peak and its bytes at the unit's memory bandwidth — plus a
/// fixed latency per program invocation and per hand-off, and energy as power times busy time.
/// Every figure and its source is in the spec; the defaults are an A17 Pro-class phone.
public struct UnitCostModel: Sendable, Equatable {
    /// fp16 multiply-adds count two operations; operations per second.
    public var peakFP16: Double
    /// int8 operations per second (unused while activations are fp16).
    public var peakInt8: Double
    /// Bytes per second the unit reads from DRAM.
    public var memoryBandwidth: Double
    /// On-chip memory: a program whose weights fit reads them once per pass, not per invocation.
    public var onChipBytes: Int
    /// Seconds per program invocation (submission and completion).
    public var dispatchLatency: Double
    /// Seconds per tensor handed between the unit and the GPU or CPU (synchronisation).
    public var handoffLatency: Double
    /// Bytes per second of a hand-off's copy.
    public var handoffBandwidth: Double
    /// Seconds to compile one program shape (once; cached after).
    public var compileSecondsPerProgram: Double
    /// Power of the unit while busy and while idle, in watts.
    public var activeWatts: Double
    public var idleWatts: Double

    public init(peakFP16: Double, peakInt8: Double, memoryBandwidth: Double, onChipBytes: Int, dispatchLatency: Double,
                handoffLatency: Double, handoffBandwidth: Double, compileSecondsPerProgram: Double, activeWatts: Double, idleWatts: Double) {
        self.peakFP16 = peakFP16; self.peakInt8 = peakInt8; self.memoryBandwidth = memoryBandwidth; self.onChipBytes = onChipBytes
        self.dispatchLatency = dispatchLatency; self.handoffLatency = handoffLatency; self.handoffBandwidth = handoffBandwidth
        self.compileSecondsPerProgram = compileSecondsPerProgram; self.activeWatts = activeWatts; self.idleWatts = idleWatts
    }

    /// An A17 Pro-class phone's neural engine.
    public static let phone = UnitCostModel(
        peakFP16: 17.5e12, peakInt8: 35e12, memoryBandwidth: 45e9, onChipBytes: 32 << 20,
        dispatchLatency: 95e-6, handoffLatency: 50e-6, handoffBandwidth: 17e9,
        compileSecondsPerProgram: 0.5, activeWatts: 2.0, idleWatts: 0)

    /// Seconds of one hand-off of `bytes`.
    public func handoffSeconds(bytes: Int) -> Double { handoffLatency + Double(bytes) / handoffBandwidth }

    /// Seconds of one op on `rows` rows (padded), reading `bytes` from memory.
    func opSeconds(flops: Double, bytes: Double) -> Double { max(flops / peakFP16, bytes / memoryBandwidth) }
}
