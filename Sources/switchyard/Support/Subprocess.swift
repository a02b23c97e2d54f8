#if canImport(Glibc)
import Glibc
#endif

/// A child process with line-based pipes to its standard input and output (no Foundation), for
/// driving a peer runtime in the same benchmark run.
final class LineProcess {
    let pid: pid_t
    private let input: UnsafeMutablePointer<FILE>
    private let output: UnsafeMutablePointer<FILE>

    struct LaunchError: Error, CustomStringConvertible {
        let command: [String]
        let reason: String
        var description: String { "cannot start \(command.joined(separator: " ")): \(reason)" }
    }

    /// Starts `arguments[0]` (searched on PATH) with the rest as its arguments.
    init(_ arguments: [String]) throws {
        var toChild: [Int32] = [0, 0], fromChild: [Int32] = [0, 0]
        guard pipe(&toChild) == 0, pipe(&fromChild) == 0 else { throw LaunchError(command: arguments, reason: String(cString: strerror(errno))) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, toChild[0], 0)
        posix_spawn_file_actions_adddup2(&actions, fromChild[1], 1)
        for fd in toChild + fromChild { posix_spawn_file_actions_addclose(&actions, fd) }
        var argv = arguments.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var child: pid_t = 0
        let status = posix_spawnp(&child, arguments[0], &actions, nil, &argv, environ)
        close(toChild[0]); close(fromChild[1])
        guard status == 0 else {
            close(toChild[1]); close(fromChild[0])
            throw LaunchError(command: arguments, reason: String(cString: strerror(status)))
        }
        pid = child
        input = fdopen(toChild[1], "w")
        output = fdopen(fromChild[0], "r")
    }

    /// Sends one line.
    func send(_ line: String) {
        fputs(line + "\n", input)
        fflush(input)
    }

    /// Reads one line, or nil at end of output.
    func readLine() -> String? {
        var buffer: UnsafeMutablePointer<CChar>?
        var capacity = 0
        defer { free(buffer) }
        guard getline(&buffer, &capacity, output) >= 0, let buffer else { return nil }
        var line = String(cString: buffer)
        if line.hasSuffix("\n") { line.removeLast() }
        return line
    }

    /// Closes its input and waits for it to exit; returns its exit status (−1 if a signal ended it).
    @discardableResult
    func finish() -> Int32 {
        fclose(input)
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        fclose(output)
        return status & 0x7F == 0 ? (status >> 8) & 0xFF : -1
    }

    /// Runs `arguments` to the end (it must not wait for standard input); its exit status and output.
    static func run(_ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = try LineProcess(arguments)
        var lines: [String] = []
        while let line = process.readLine() { lines.append(line) }
        return (process.finish(), lines.joined(separator: "\n"))
    }
}
