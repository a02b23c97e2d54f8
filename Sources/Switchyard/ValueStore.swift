/// The tensors of one pass, each held in one or more storage domains (the domain that last wrote it,
/// plus copies made by transfers, which a later write invalidates). Indexed by value, so the
/// lookups of a decode step cost no hashing.
final class ValueStore {
    /// Per value: its copies, the one last written first.
    private var copies: [[(domain: String, tensor: any BackendTensor)]]
    /// Storage domain of each backend, by name.
    let domains: [String: String]

    init(domains: [String: String], valueCount: Int) {
        self.domains = domains
        copies = Array(repeating: [], count: valueCount)
    }

    func tensor(_ id: ValueID, domain: String) -> (any BackendTensor)? {
        copies[id.index].first { $0.domain == domain }?.tensor
    }

    /// Any copy of `id`, with its domain.
    func anyCopy(_ id: ValueID) -> (domain: String, tensor: any BackendTensor)? { copies[id.index].first }

    /// Records a newly written tensor; other copies of the value are now stale.
    func store(_ id: ValueID, _ tensor: any BackendTensor, domain: String) { copies[id.index] = [(domain, tensor)] }

    /// Records a transferred copy beside the existing ones.
    func addCopy(_ id: ValueID, _ tensor: any BackendTensor, domain: String) {
        copies[id.index].removeAll { $0.domain == domain }
        copies[id.index].append((domain, tensor))
    }

    func drop(_ id: ValueID) { copies[id.index] = [] }
}
