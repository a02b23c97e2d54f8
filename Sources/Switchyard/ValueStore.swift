/// The tensors of one pass, each held in one or more storage domains (the domain that last wrote it,
/// plus copies made by transfers, which a later write invalidates).
final class ValueStore {
    private var copies: [ValueID: [String: any BackendTensor]] = [:]
    /// Storage domain of each backend, by name.
    let domains: [String: String]

    init(domains: [String: String]) { self.domains = domains }

    func tensor(_ id: ValueID, domain: String) -> (any BackendTensor)? { copies[id]?[domain] }

    /// Any copy of `id`, with its domain.
    func anyCopy(_ id: ValueID) -> (domain: String, tensor: any BackendTensor)? {
        copies[id]?.first.map { ($0.key, $0.value) }
    }

    /// Records a newly written tensor; other copies of the value are now stale.
    func store(_ id: ValueID, _ tensor: any BackendTensor, domain: String) { copies[id] = [domain: tensor] }

    /// Records a transferred copy beside the existing ones.
    func addCopy(_ id: ValueID, _ tensor: any BackendTensor, domain: String) { copies[id, default: [:]][domain] = tensor }

    func drop(_ id: ValueID) { copies[id] = nil }
}
