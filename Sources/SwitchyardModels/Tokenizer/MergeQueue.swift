/// A candidate merge of two adjacent symbols, as a tokenizer's merge queue orders them.
protocol MergeCandidate {
    /// Whether `self` merges before `other`.
    func precedes(_ other: Self) -> Bool
}

/// A binary heap of merge candidates, the one that merges first on top (the priority queue of
/// llama.cpp's BPE and SentencePiece merge loops). Stale candidates are the caller's to skip.
struct MergeQueue<Candidate: MergeCandidate> {
    private var heap: [Candidate] = []

    mutating func removeAll() { heap.removeAll(keepingCapacity: true) }

    mutating func push(_ item: Candidate) {
        heap.append(item)
        var child = heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            if !item.precedes(heap[parent]) { break }
            heap[child] = heap[parent]
            child = parent
        }
        heap[child] = item
    }

    /// Removes and returns the candidate that merges first.
    mutating func popFirst() -> Candidate? {
        guard let last = heap.popLast() else { return nil }
        if heap.isEmpty { return last }
        let top = heap[0]
        let count = heap.count
        var parent = 0
        while true {
            var child = 2 * parent + 1
            if child >= count { break }
            if child + 1 < count && heap[child + 1].precedes(heap[child]) { child += 1 }
            if !heap[child].precedes(last) { break }
            heap[parent] = heap[child]
            parent = child
        }
        heap[parent] = last
        return top
    }
}
