import ArgumentParser
import Switchyard

/// The options that choose where ops run: `--backend`, `--policy`, `--route`, `-t`.
struct BackendSelection: ParsableArguments {
    @Option(name: .long, help: "Run every op on this backend (e.g. reference).")
    var backend: String?

    @Option(name: .long, help: "A named policy (auto, reference, cpu, gpu-only, accelerator-routed) or an ordered list of backends, e.g. accelerator,vulkan,blas.")
    var policy: String?

    @Option(name: .long, help: "Route one op kind first to a list of backends, e.g. matmul=accelerator; '*=a,b' sets the fallback. Repeatable.")
    var route: [String] = []

    @Option(name: [.customShort("t"), .long], help: "CPU threads.")
    var threads: Int = BackendOptions.defaultThreads

    @Option(name: .long, help: "The Vulkan device to run on (see `switchyard devices`); default: the first real GPU.")
    var device: Int?

    @Flag(name: .customLong("no-range-guard"), help: "Let an fp16 unit take ops whose activations overflow fp16 (to see what the guard prevents).")
    var noRangeGuard = false

    var options: BackendOptions { BackendOptions(threads: threads, device: device, rangeGuard: !noRangeGuard) }

    func validate() throws {
        if backend != nil && policy != nil { throw ValidationError("give either --backend or --policy, not both") }
        if threads < 1 { throw ValidationError("--threads must be at least 1") }
    }

    /// The policy the flags describe (`auto` when none is given) and the backends it needs.
    func resolve() throws -> (policy: RoutingPolicy, backends: [any Backend]) {
        let (policy, backends, _) = try resolveNoting()
        return (policy, backends)
    }

    /// Same as `resolve`, with a note for each fallback backend left out because it cannot start here.
    func resolveNoting() throws -> (policy: RoutingPolicy, backends: [any Backend], notes: [String]) {
        let registry = BackendCatalog.registry
        var policy: RoutingPolicy
        if let name = backend ?? self.policy {
            policy = try registry.policy(named: name, options: options)
        } else if route.isEmpty {
            policy = registry.automaticPolicy(options: options)
        } else {
            policy = RoutingPolicy([])
        }
        if !route.isEmpty {
            let routed = try RoutingPolicy.parse(routes: route)
            policy.routes.merge(routed.routes) { $0 + $1 }
            policy.fallback = routed.fallback + policy.fallback.filter { !routed.fallback.contains($0) }
        }
        return try registry.available(for: policy, options: options)
    }

    /// Same as `resolve`, with the policy name shown to the user.
    var label: String { backend ?? policy ?? (route.isEmpty ? "auto" : route.joined(separator: " ")) }
}
