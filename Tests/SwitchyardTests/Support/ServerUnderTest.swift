import Foundation
import XCTest

/// A real `switchyard serve` process on a free loopback port, for the server tests; stopped (SIGTERM,
/// then SIGKILL) when the test ends. Every wait on it is bounded.
final class ServerUnderTest: @unchecked Sendable {
    // @unchecked: the process is only started and stopped from the test's thread; standard error is
    // collected in a `LockedText` by its draining thread.
    let process = Process()
    let base: String
    let port: Int
    private let stderrText = LockedText()
    private let drained = DispatchSemaphore(value: 0)

    /// Starts `switchyard serve ARGUMENTS --host 127.0.0.1 --port 0` and waits (at most `startTimeout`
    /// seconds) for the line that says where it listens.
    init(_ arguments: [String], startTimeout: TimeInterval = 180) throws {
        process.executableURL = CLITests.tool
        process.arguments = ["serve"] + arguments + ["--host", "127.0.0.1", "--port", "0"]
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()

        let errHandle = err.fileHandleForReading
        let stderrText = stderrText, drained = drained
        Thread.detachNewThread {
            stderrText.set(String(decoding: errHandle.readDataToEndOfFile(), as: UTF8.self))
            drained.signal()
        }
        // Read standard output until the "listening on" line, on a thread, with a deadline.
        let found = DispatchSemaphore(value: 0)
        let listening = LockedText()
        let outHandle = out.fileHandleForReading
        Thread.detachNewThread {
            var seen = ""
            while true {
                let chunk = outHandle.availableData
                if chunk.isEmpty { break }   // end of file: the process exited
                seen += String(decoding: chunk, as: UTF8.self)
                if let line = seen.split(separator: "\n").first(where: { $0.contains("listening on http://") }) {
                    listening.set(String(line))
                    found.signal()
                }
            }
            found.signal()
        }
        let started = found.wait(timeout: .now() + startTimeout) == .success
        guard started, let line = listening.get(),
              let url = line.split(separator: " ").first(where: { $0.hasPrefix("http://") }),
              let port = Int(url.split(separator: ":").last ?? "") else {
            Self.stop(process)
            _ = drained.wait(timeout: .now() + 30)
            throw ServerStartError(message: "switchyard serve did not start within \(Int(startTimeout)) s: \(stderrText.get() ?? "")")
        }
        self.port = port
        base = "http://127.0.0.1:\(port)"
    }

    /// What the server wrote to standard error (after `stop()`).
    var stderr: String { stderrText.get() ?? "" }

    /// Stops the server and waits for it (SIGTERM, then SIGKILL after 20 s).
    func stop() {
        Self.stop(process)
        _ = drained.wait(timeout: .now() + 30)
    }

    private static func stop(_ process: Process) {
        guard process.isRunning else { return }
        process.terminate()
        let deadline = Date().addingTimeInterval(20)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL); process.waitUntilExit() }
    }

    deinit { stop() }
}

struct ServerStartError: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}

/// A string shared between two threads.
final class LockedText: @unchecked Sendable {
    // @unchecked: `value` is only touched with `lock` held.
    private let lock = NSLock()
    private var value: String?
    func set(_ text: String) { lock.lock(); if value == nil { value = text }; lock.unlock() }
    func get() -> String? { lock.lock(); defer { lock.unlock() }; return value }
}
