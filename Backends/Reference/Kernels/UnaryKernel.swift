import Switchyard
#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// Element-by-element functions of one input: `scale`, `silu`, `gelu` (tanh form), `softcap`.
struct UnaryKernel: ReferenceKernel {
    let kind: OpKind

    func run(_ node: OpNode, _ io: SegmentIO, _ backend: ReferenceBackend) throws {
        let x = try io.host(node.inputs[0])
        let out = io.makeOutput(node)
        let f: (Double) -> Double
        switch node.op {
        case .scale(let factor): f = { $0 * Double(factor) }
        case .silu: f = Activation.silu
        case .gelu: f = Activation.gelu
        case .softcap(let cap): f = { Double(cap) * tanh($0 / Double(cap)) }
        default: return
        }
        for i in 0..<x.count { out.storage[i] = Float(f(Double(x.storage[i]))) }
    }
}

/// The activation functions, exactly (no tables, no approximations beyond GELU's tanh form).
enum Activation {
    static func silu(_ x: Double) -> Double { x / (1 + exp(-x)) }
    static func gelu(_ x: Double) -> Double {
        0.5 * x * (1 + tanh((2 / Double.pi).squareRoot() * (x + 0.044715 * x * x * x)))
    }
}
