/// Which backends may run which ops, in order of preference. The planner gives each op to the
/// first backend in its list that supports it.
///
/// - `--backend vulkan` is `RoutingPolicy(["vulkan"])`;
/// - `--policy accelerator,vulkan,blas` is `RoutingPolicy(["accelerator", "vulkan", "blas"])`;
/// - `--route matmul=accelerator --route '*=vulkan'` is routes `[.matmul: ["accelerator"]]` with
///   fallback `["vulkan"]`: matmuls try the accelerator first, then the fallback list.
public struct RoutingPolicy: Sendable, Equatable, CustomStringConvertible {
    /// Backends tried, in order, for every op (after any route for its kind).
    public var fallback: [String]
    /// Backends tried first for particular op kinds.
    public var routes: [OpKind: [String]]

    public init(_ fallback: [String], routes: [OpKind: [String]] = [:]) {
        self.fallback = fallback
        self.routes = routes
    }

    /// Backend names to try for an op of `kind`, in order, without repeats.
    public func candidates(for kind: OpKind) -> [String] {
        var seen = Set<String>()
        return ((routes[kind] ?? []) + fallback).filter { seen.insert($0).inserted }
    }

    /// Every backend name the policy mentions.
    public var backendNames: [String] {
        var seen = Set<String>()
        return (routes.keys.sorted { $0.rawValue < $1.rawValue }.flatMap { routes[$0]! } + fallback).filter { seen.insert($0).inserted }
    }

    /// Parses `"a,b,c"` (an ordered list) or route specs such as `"matmul=accelerator"` and
    /// `"*=vulkan,blas"`.
    /// - Throws: `PolicyError` naming the part that does not parse.
    public static func parse(list: String? = nil, routes specs: [String] = []) throws -> RoutingPolicy {
        var policy = RoutingPolicy([])
        if let list {
            policy.fallback = try names(list, in: list)
        }
        for spec in specs {
            let parts = spec.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { throw PolicyError.badRoute(spec) }
            let backends = try names(parts[1], in: spec)
            if parts[0] == "*" {
                policy.fallback += backends
            } else if let kind = OpKind(rawValue: parts[0]) {
                policy.routes[kind, default: []] += backends
            } else {
                throw PolicyError.unknownOpKind(parts[0])
            }
        }
        guard !policy.backendNames.isEmpty else { throw PolicyError.empty }
        return policy
    }

    private static func names(_ text: String, in spec: String) throws -> [String] {
        let names = text.split(separator: ",", omittingEmptySubsequences: false).map { String($0).trimmingSpaces }
        guard !names.contains(where: \.isEmpty) else { throw PolicyError.badRoute(spec) }
        return names
    }

    public var description: String {
        let routeText = routes.keys.sorted { $0.rawValue < $1.rawValue }.map { "\($0.rawValue)=\(routes[$0]!.joined(separator: ","))" }
        return (routeText + [fallback.joined(separator: ",")]).filter { !$0.isEmpty }.joined(separator: " ")
    }
}

/// A policy that does not parse or names something unknown.
public enum PolicyError: Error, Sendable, Equatable, CustomStringConvertible {
    case empty
    case badRoute(String)
    case unknownOpKind(String)
    case unknownBackend(String, available: [String])

    public var description: String {
        switch self {
        case .empty: return "the policy names no backend"
        case .badRoute(let s): return "cannot parse routing spec '\(s)' (expected 'a,b' or 'opkind=a,b' or '*=a')"
        case .unknownOpKind(let k): return "unknown op kind '\(k)' (known: \(OpKind.allCases.map(\.rawValue).joined(separator: ", ")))"
        case .unknownBackend(let b, let available): return "unknown backend '\(b)' (available: \(available.joined(separator: ", ")))"
        }
    }
}

extension String {
    var trimmingSpaces: String {
        var s = Substring(self)
        while s.first == " " { s.removeFirst() }
        while s.last == " " { s.removeLast() }
        return String(s)
    }
}
