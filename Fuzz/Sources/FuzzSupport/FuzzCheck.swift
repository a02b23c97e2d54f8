#if canImport(Glibc)
import Glibc
#endif

/// A property a fuzz target checks on every input. A broken one prints what differs and aborts, so
/// libFuzzer saves the input as a crash like any other finding.
@inline(never)
public func fuzzCheck(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String) {
    if !condition() {
        fputs("fuzz check failed: \(message())\n", stderr)
        abort()
    }
}
