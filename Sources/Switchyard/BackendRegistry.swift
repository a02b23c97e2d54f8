#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Options every backend factory receives.
public struct BackendOptions: Sendable, Equatable {
    /// CPU threads a backend may use.
    public var threads: Int
    /// The device a GPU backend runs on (its index in `switchyard devices`); nil lets it choose.
    public var device: Int?
    /// Whether a backend with a number format narrower than f32 keeps ops off its unit whose
    /// calibrated activations exceed that format's range (true), or takes them and lets them
    /// overflow as the hardware would (false: to show what the guard prevents).
    public var rangeGuard: Bool
    public init(threads: Int = BackendOptions.defaultThreads, device: Int? = nil, rangeGuard: Bool = true) {
        self.threads = max(1, threads)
        self.device = device
        self.rangeGuard = rangeGuard
    }

    /// The machine's core count.
    public static var defaultThreads: Int {
        max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN)))
    }
}

/// How to make one backend, as the tool that ships it registers it.
public struct BackendRegistration: Sendable {
    public let name: String
    public let unit: ComputeUnit
    /// One line for `switchyard ops` and `--help`.
    public let summary: String
    public let make: @Sendable (BackendOptions) throws -> any Backend

    public init(name: String, unit: ComputeUnit, summary: String, make: @escaping @Sendable (BackendOptions) throws -> any Backend) {
        self.name = name; self.unit = unit; self.summary = summary; self.make = make
    }
}

/// The backends a program offers, by name, and the named policies built from them. The core knows
/// no backend: the program that links them registers each one (one line per backend).
public struct BackendRegistry: Sendable {
    public private(set) var registrations: [BackendRegistration] = []

    public init(_ registrations: [BackendRegistration] = []) { self.registrations = registrations }

    public mutating func register(_ registration: BackendRegistration) { registrations.append(registration) }

    public var names: [String] { registrations.map(\.name) }

    /// Makes the backend called `name`.
    /// - Throws: `PolicyError.unknownBackend` when nothing of that name is registered.
    public func make(_ name: String, options: BackendOptions) throws -> any Backend {
        guard let r = registrations.first(where: { $0.name == name }) else { throw PolicyError.unknownBackend(name, available: names) }
        return try r.make(options)
    }

    /// Makes every backend a policy names.
    public func backends(for policy: RoutingPolicy, options: BackendOptions) throws -> [any Backend] {
        try available(for: policy, options: options).backends
    }

    /// Makes the backends of `policy`, leaving out a fallback that cannot start here (a GPU backend
    /// without a device, when the policy names it after the backend it prefers): its ops go to
    /// the next backend in the list, and `notes` says so. The policy's first backend must start.
    /// - Throws: the first backend's error, or `PolicyError` for an unknown name.
    public func available(for policy: RoutingPolicy, options: BackendOptions)
        throws -> (policy: RoutingPolicy, backends: [any Backend], notes: [String]) {
        var policy = policy
        var backends: [any Backend] = [], notes: [String] = []
        for (index, name) in policy.backendNames.enumerated() {
            do {
                backends.append(try make(name, options: options))
            } catch let error where index > 0 && !(error is PolicyError) && policy.fallback.count > 1 {
                policy.fallback.removeAll { $0 == name }
                for kind in policy.routes.keys { policy.routes[kind]!.removeAll { $0 == name } }
                notes.append("\(name) is unavailable (\(error)); the policy runs without it: \(policy.fallback.joined(separator: ", "))")
            }
        }
        return (policy, backends, notes)
    }

    /// Named policies, in order of preference; each lists only backends registered here.
    ///
    /// - `reference`: everything on the reference backend.
    /// - `cpu`: the BLAS backend, the reference as fallback.
    /// - `gpu-only`: Vulkan, with CPU fallback only for ops Vulkan lacks.
    /// - `accelerator-routed`: the accelerator takes every op it supports, then Vulkan, then CPU.
    public var namedPolicies: [(name: String, backends: [String])] {
        let all: [(String, [String])] = [
            ("reference", ["reference"]),
            ("cpu", ["blas", "reference"]),
            ("gpu-only", ["vulkan", "blas", "reference"]),
            ("accelerator-routed", ["accelerator", "vulkan", "blas", "reference"]),
        ]
        return all.compactMap { name, list in
            let present = list.filter(names.contains)
            return present.isEmpty || (name != "reference" && present == ["reference"]) ? nil : (name, present)
        }
    }

    /// The policy for `auto`: the fastest real backend here. A real GPU when one is registered and
    /// finds a device that is not a software renderer (its factory throws without a device, and a
    /// software renderer says `runsOnRealHardware == false`), else the BLAS backend, else the reference.
    public func automaticPolicy(options: BackendOptions) -> RoutingPolicy {
        if names.contains("vulkan"), let gpu = try? make("vulkan", options: options), gpu.runsOnRealHardware {
            return RoutingPolicy(["vulkan"] + ["blas", "reference"].filter(names.contains))
        }
        return RoutingPolicy(["blas", "reference"].filter(names.contains))
    }

    /// Resolves what the user typed: `auto`, a named policy, a backend name, or a comma list.
    public func policy(named text: String, options: BackendOptions) throws -> RoutingPolicy {
        if text == "auto" { return automaticPolicy(options: options) }
        if let named = namedPolicies.first(where: { $0.name == text }) { return RoutingPolicy(named.backends) }
        let policy = try RoutingPolicy.parse(list: text)
        for name in policy.backendNames where !names.contains(name) {
            throw PolicyError.unknownBackend(name, available: names + namedPolicies.map(\.name) + ["auto"])
        }
        return policy
    }
}
