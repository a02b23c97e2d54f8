/// Where each host activation of a pass lives inside one block of memory. Activations whose
/// lifetimes do not overlap share bytes, and an elementwise op writes over an input that dies
/// there, so the block is the size of the pass's largest set of simultaneously live activations,
/// not their sum (llama.cpp's graph allocator does the same). A session keeps one block for all its
/// passes (`HostArena`): no allocation per op, and nothing for the C allocator to hold on to.
public struct HostMemoryPlan: Sendable {
    /// Byte offset of each planned value in the block.
    public let offsets: [ValueID: Int]
    /// Bytes the block needs.
    public let size: Int
    /// How many values write over an input's bytes.
    public let inPlaceCount: Int

    /// Offsets are multiples of this (a cache line).
    static let alignment = 64

    /// Plans the activations written by nodes that run in host memory (`onHost[node.index]`),
    /// except those in `keep` (the caller reads them after the pass, so they get their own memory).
    static func make(_ graph: ForwardGraph, onHost: [Bool], lastUse: [ValueID: Int], keep: Set<ValueID>) -> HostMemoryPlan {
        var blocks = FreeBlocks()
        var offsets: [ValueID: Int] = [:]
        var inPlace = 0
        func bytes(_ v: ValueID) -> Int {
            (graph[v].elementCount * MemoryLayout<Float>.size + alignment - 1) / alignment * alignment
        }
        func dies(_ v: ValueID, at node: OpNode) -> Bool {
            offsets[v] != nil && (lastUse[v] ?? node.index) == node.index
        }
        for node in graph.nodes {
            var taken: ValueID?
            for v in node.outputs where onHost[node.index] && graph[v].kind == .activation && !keep.contains(v) {
                if let first = node.inputs.first, taken == nil, node.kind.mayOverwriteFirstInput, dies(first, at: node),
                   node.inputs.dropFirst().allSatisfy({ $0 != first }), graph[first].elementCount == graph[v].elementCount {
                    offsets[v] = offsets[first]
                    taken = first
                    inPlace += 1
                } else {
                    offsets[v] = blocks.allocate(bytes(v))
                }
            }
            // Inputs read for the last time here (and outputs nobody reads) free their bytes.
            for v in Set(node.inputs + node.outputs) where v != taken && dies(v, at: node) {
                blocks.free(offsets[v]!, bytes(v))
            }
        }
        return HostMemoryPlan(offsets: offsets, size: blocks.end, inPlaceCount: inPlace)
    }
}

/// Free ranges of a growing block, kept sorted and merged; allocation is best fit, else growth at
/// the end (extending a free range that touches the end).
private struct FreeBlocks {
    private var ranges: [(offset: Int, size: Int)] = []
    private(set) var end = 0

    mutating func allocate(_ size: Int) -> Int {
        var best: Int?
        for (i, r) in ranges.enumerated() where r.size >= size && (best == nil || r.size < ranges[best!].size) { best = i }
        if let i = best {
            let offset = ranges[i].offset
            if ranges[i].size == size { ranges.remove(at: i) } else { ranges[i] = (offset + size, ranges[i].size - size) }
            return offset
        }
        if let last = ranges.last, last.offset + last.size == end {
            ranges.removeLast()
            end = last.offset + size
            return last.offset
        }
        end += size
        return end - size
    }

    mutating func free(_ offset: Int, _ size: Int) {
        var i = ranges.firstIndex { $0.offset > offset } ?? ranges.count
        ranges.insert((offset, size), at: i)
        if i + 1 < ranges.count, ranges[i].offset + ranges[i].size == ranges[i + 1].offset {
            ranges[i].size += ranges[i + 1].size
            ranges.remove(at: i + 1)
        }
        if i > 0, ranges[i - 1].offset + ranges[i - 1].size == ranges[i].offset {
            ranges[i - 1].size += ranges[i].size
            ranges.remove(at: i)
            i -= 1
        }
    }
}
