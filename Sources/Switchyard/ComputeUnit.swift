/// The kind of silicon a backend computes on. A tensor that moves between backends of different
/// units is a transfer (synchronisation and a copy); between backends of one unit it is not.
public enum ComputeUnit: String, Sendable, CaseIterable {
    case cpu, gpu, accelerator
}
