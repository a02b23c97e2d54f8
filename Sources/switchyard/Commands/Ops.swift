import ArgumentParser
import Switchyard
import SwitchyardModels

/// `switchyard ops`: which backend runs which op, and why not.
struct Ops: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print a table of op × backend support, with each refusal's reason.")

    @Option(name: [.customShort("m"), .long], help: "Ask about the ops of this model's graph instead of representative ops.")
    var model: String?
    @Option(name: [.customShort("t"), .long], help: "CPU threads for backends that take them.")
    var threads = 1

    func run() throws {
        let registry = BackendCatalog.registry
        var backends: [any Backend] = []
        for registration in registry.registrations {
            do { backends.append(try registration.make(BackendOptions(threads: threads))) } catch {
                print("\(registration.name): unavailable here (\(error))")
            }
        }
        let (graph, nodes, labels) = try probe()
        let labelWidth = max(labels.map(\.count).max() ?? 0, 2)
        print("op".padding(labelWidth) + "  " + backends.map(\.name).joined(separator: " | "))
        for (node, label) in zip(nodes, labels) {
            let answers = backends.map { backend -> String in
                switch backend.support(for: node, in: graph) {
                case .supported: return "yes"
                case .unsupported(let why): return "no (\(why))"
                }
            }
            print(label.padding(labelWidth) + "  " + answers.joined(separator: " | "))
        }
        print("\nbackends:")
        for r in registry.registrations { print("  \(r.name) [\(r.unit.rawValue)]: \(r.summary)") }
    }

    /// The nodes to ask about: representative ones, or one per distinct (kind, weight format) of a model's graph.
    private func probe() throws -> (ForwardGraph, [OpNode], [String]) {
        guard let model else {
            let (graph, labels) = OpProbe.graph()
            return (graph, graph.nodes, labels)
        }
        let loaded = try Model(model)
        let graph = loaded.architecture.graph(tokens: 8, contextLength: 64, maxBatch: 8, logits: .last)
        var seen = Set<String>()
        var nodes: [OpNode] = [], labels: [String] = []
        for node in graph.nodes {
            let formats = node.inputs.compactMap { id -> String? in
                if case .weight(let f) = graph[id].kind { return f.description } else { return nil }
            }
            let label = formats.isEmpty ? node.kind.rawValue : "\(node.kind.rawValue) (\(formats.joined(separator: ",")))"
            if seen.insert(label).inserted { nodes.append(node); labels.append(label) }
        }
        return (graph, nodes, labels)
    }
}
