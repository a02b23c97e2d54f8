import Switchyard

/// One policy priced on one device: prefill and decode speed, time to first token, energy per
/// token, where the time goes, and what sustained load does to decode speed.
struct PolicySimulation {
    let policy: String
    let prefillSeconds: Double
    let promptTokens: Int
    let decode: PassPricing
    let prefill: PassPricing
    let decodeEnergyJoules: Double
    let thermal: ThermalRun
    /// Ops the accelerator does not take, by kind, with its reason (empty when the policy has none).
    let offAccelerator: [(kind: String, count: Int, reason: String)]
    let opsByUnit: [ComputeUnit: Int]

    var decodeTokensPerSecond: Double { 1 / decode.total }
    var prefillTokensPerSecond: Double { Double(promptTokens) / prefillSeconds }

    /// Energy of one decode token on `profile`: each unit's active power over its busy time and idle
    /// power over the rest of the token; hand-offs at the active power of the units they join.
    static func decodeEnergy(_ pass: PassPricing, on profile: DeviceProfile) -> Double {
        let total = pass.total
        var joules = 0.0
        for (unit, figures) in profile.units {
            let busy = pass.seconds[unit] ?? 0
            joules += figures.activeWatts * busy + figures.idleWatts * max(0, total - busy)
        }
        let handoffWatts = profile.units.keys.filter { (pass.seconds[$0] ?? 0) > 0 }.map { profile.units[$0]!.activeWatts }.max() ?? 0
        return joules + handoffWatts * pass.handoffSeconds
    }
}

/// Sustained decoding on a device with a thermal budget: full speed until the heat above the
/// sustained power fills the headroom, then the speed s at which power (∝ s^k) equals the budget.
struct ThermalRun {
    let fullSpeed: Double          // tok/s
    let watts: Double              // device power at full speed
    let throttleAfter: Double?     // seconds; nil when the budget holds
    let speedFraction: Double      // after throttling
    let minutes: Double

    init(tokensPerSecond: Double, joulesPerToken: Double, thermal: DeviceProfile.Thermal, minutes: Double) {
        fullSpeed = tokensPerSecond
        watts = tokensPerSecond * joulesPerToken
        self.minutes = minutes
        if watts <= thermal.sustainedWatts * (1 + 1e-9) {  // equal up to rounding: never throttles
            throttleAfter = nil
            speedFraction = 1
        } else {
            throttleAfter = thermal.headroomJoules / (watts - thermal.sustainedWatts)
            speedFraction = max(thermal.minimumSpeed, min(1, pow(thermal.sustainedWatts / watts, 1 / thermal.powerExponent)))
        }
    }

    /// Decode speed at time `t` seconds into the run.
    func speed(at t: Double) -> Double {
        guard let onset = throttleAfter, t >= onset else { return fullSpeed }
        return fullSpeed * speedFraction
    }

    /// Speed at the end of the run.
    var sustained: Double { speed(at: minutes * 60) }

    /// Average speed over the run.
    var average: Double {
        let total = minutes * 60
        guard total > 0 else { return fullSpeed }
        guard let onset = throttleAfter, onset < total else { return fullSpeed }
        return (fullSpeed * onset + fullSpeed * speedFraction * (total - onset)) / total
    }
}

#if canImport(Glibc)
import Glibc
#endif
