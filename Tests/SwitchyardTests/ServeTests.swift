import Foundation
import XCTest

/// `switchyard serve` as its users meet it: the real built binary on a free loopback port, driven by
/// the real `openai` Python client and by raw HTTP (Tests/serve/serve_checks.py). No mocks; every
/// wait is bounded; no timing is asserted (load-test figures go to docs/benchmarks.md).
final class ServeTests: XCTestCase {
    /// The repository's root, from this file's place in it.
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let checks = root.appendingPathComponent("Tests/serve/serve_checks.py").path

    /// The venv's Python with `openai` in it, made by scripts/setup-serve-venv.sh when missing.
    static func python() throws -> String {
        let python = root.appendingPathComponent(".venv-serve/bin/python").path
        if !FileManager.default.isExecutableFile(atPath: python) {
            let setup = try run(root.appendingPathComponent("scripts/setup-serve-venv.sh").path, [], timeout: 600)
            guard setup.status == 0 else { throw ServerStartError(message: "scripts/setup-serve-venv.sh failed: \(setup.output)") }
        }
        return python
    }

    /// Runs a program to its end or `timeout` seconds (then kills it); its exit status and output.
    static func run(_ program: String, _ arguments: [String], timeout: TimeInterval) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: program)
        process.arguments = arguments
        process.currentDirectoryURL = root
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let killer = DispatchWorkItem { if process.isRunning { process.terminate() } }
        DispatchQueue.global().asyncAfter(deadline: .now() + timeout, execute: killer)
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        killer.cancel()
        return (process.terminationStatus, String(decoding: output, as: UTF8.self))
    }

    /// Starts a server on `model` with `flags`, runs one check of serve_checks.py against it, and
    /// fails the test with the script's output when a check did not hold.
    @discardableResult
    func check(_ name: String, model: String, serverFlags: [String] = [], checkFlags: [String] = [],
               timeout: TimeInterval = 300) throws -> String {
        _ = try TestModels.open(model == "gemma3" ? TestModels.gemma3Path : TestModels.smollm2Path)
        let python = try Self.python()
        let server = try ServerUnderTest(["-m", model, "-t", "2"] + serverFlags)
        defer { server.stop() }
        let result = try Self.run(python, [Self.checks, name, "--base", server.base, "--model", model] + checkFlags, timeout: timeout)
        XCTAssertEqual(result.status, 0, "serve_checks.py \(name) on \(model):\n\(result.output)")
        return result.output
    }

    func testOpenAIClientChatsStreamsAndCompletesWithSmolLM2() throws {
        try check("basics", model: "smollm2", serverFlags: ["--policy", "cpu", "--context", "512"],
                  checkFlags: ["--policy", "blas,reference", "--max-tokens", "16"])
    }

    func testOpenAIClientChatsStreamsAndCompletesWithGemma3() throws {
        try check("basics", model: "gemma3", serverFlags: ["--backend", "blas", "--context", "512"],
                  checkFlags: ["--policy", "blas", "--max-tokens", "8"])
    }

    func testEightConcurrentStreamsEachGiveExactlyTheirAnswerAlone() throws {
        try check("concurrent", model: "smollm2", serverFlags: ["--parallel", "8", "--context", "512"],
                  checkFlags: ["--max-tokens", "16"])
    }

    func testFullQueueGives429AndAClosedStreamFreesItsSlot() throws {
        try check("queue", model: "smollm2", serverFlags: ["--parallel", "1", "--queue", "1", "--context", "512"])
    }

    func testBadInputsGetOpenAIErrorsAndTheServerKeepsServing() throws {
        try check("errors", model: "smollm2", serverFlags: ["--context", "256"], checkFlags: ["--context", "256"])
    }

    func testLoadOf200RequestsFrom16ClientsLosesAndMixesNothing() throws {
        let output = try check("load", model: "smollm2", serverFlags: ["--parallel", "8", "--queue", "16", "--context", "512"],
                               checkFlags: ["--requests", "200", "--clients", "16", "--max-tokens", "4", "--deadline", "1500"],
                               timeout: 1600)
        print(output)
    }
}
