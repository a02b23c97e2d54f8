import Switchyard

/// A plan drawn as SVG: one row per layer (the embedding above, the output head below), one cell
/// per op coloured by the compute unit it runs on, and a mark wherever a tensor crosses between
/// units (a hand-off) — the picture of what a policy does to a model.
struct PlanSVG {
    let plan: Plan
    let title: String

    static let colours: [ComputeUnit: String] = [.cpu: "#6c8ebf", .gpu: "#82b366", .accelerator: "#f0a030"]
    static let cell = 11, gap = 2, rowHeight = 16, labelWidth = 70, top = 58

    var svg: String {
        let rows = layerRows()
        let widest = rows.map(\.nodes.count).max() ?? 1
        let width = max(560, Self.labelWidth + widest * (Self.cell + Self.gap) + 20)
        let height = Self.top + rows.count * Self.rowHeight + 30
        let handoffAt = Set(plan.segments.filter { !$0.transfersIn.isEmpty }.map { $0.nodes[0].index })
        var out = [
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(width)\" height=\"\(height)\" font-family=\"sans-serif\" font-size=\"10\">",
            "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>",
            "<text x=\"8\" y=\"16\" font-size=\"13\">\(escape(title))</text>",
        ]
        let unitOf = unitByNode()
        var x = 8
        for unit in ComputeUnit.allCases where unitOf.values.contains(unit) {
            let count = unitOf.values.filter { $0 == unit }.count
            out.append("<rect x=\"\(x)\" y=\"26\" width=\"\(Self.cell)\" height=\"\(Self.cell)\" fill=\"\(Self.colours[unit]!)\"/>")
            out.append("<text x=\"\(x + Self.cell + 4)\" y=\"35\">\(unit.rawValue) (\(count) ops)</text>")
            x += 130
        }
        out.append("<path d=\"M\(x) 26 l0 \(Self.cell)\" stroke=\"#d62728\" stroke-width=\"2\"/>")
        out.append("<text x=\"\(x + 6)\" y=\"35\">hand-off (\(plan.transfers.count), \(plan.transferBytes) bytes)</text>")
        for (r, row) in rows.enumerated() {
            let y = Self.top + r * Self.rowHeight
            out.append("<text x=\"8\" y=\"\(y + Self.cell - 1)\">\(escape(row.label))</text>")
            for (c, node) in row.nodes.enumerated() {
                let cx = Self.labelWidth + c * (Self.cell + Self.gap)
                let colour = Self.colours[unitOf[node.index]!]!
                out.append("<rect x=\"\(cx)\" y=\"\(y)\" width=\"\(Self.cell)\" height=\"\(Self.cell)\" fill=\"\(colour)\"><title>\(escape(node.name)) (\(node.kind.rawValue)) on \(plan.assignment[node.index])</title></rect>")
                if handoffAt.contains(node.index) {
                    out.append("<path d=\"M\(cx - 1) \(y - 1) l0 \(Self.cell + 2)\" stroke=\"#d62728\" stroke-width=\"2\"/>")
                }
            }
        }
        out.append("</svg>")
        return out.joined(separator: "\n") + "\n"
    }

    /// The graph's ops grouped by layer: "blk.N." names are layer N; ops before the first layer
    /// form the input row, ops after the last the output row.
    private func layerRows() -> [(label: String, nodes: [OpNode])] {
        var rows: [(label: String, nodes: [OpNode])] = []
        for node in plan.graph.nodes {
            let label: String
            if node.name.hasPrefix("blk."), let layer = node.name.split(separator: ".").dropFirst().first {
                label = "layer \(layer)"
            } else {
                label = rows.isEmpty || rows.last!.label == "input" ? "input" : "output"
            }
            if rows.last?.label == label { rows[rows.count - 1].nodes.append(node) } else { rows.append((label, [node])) }
        }
        return rows
    }

    private func unitByNode() -> [Int: ComputeUnit] {
        var units: [Int: ComputeUnit] = [:]
        for segment in plan.segments { for node in segment.nodes { units[node.index] = segment.unit } }
        return units
    }

    private func escape(_ text: String) -> String { TextFile.xmlEscaped(text) }
}
