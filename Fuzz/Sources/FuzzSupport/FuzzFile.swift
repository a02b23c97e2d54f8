#if canImport(Glibc)
import Glibc
#endif

/// A fuzz input written to a file, for readers that take a path and map it (`GGUFFile`). One file
/// per process, rewritten for each input, in `/dev/shm` when there is one (no disk traffic) and
/// removed when the process exits.
public enum FuzzFile {
    /// The file's path: `/dev/shm/switchyard-fuzz-PID.gguf`, else the same name under `$TMPDIR` or `/tmp`.
    public static let path: String = {
        let folder: String
        if access("/dev/shm", W_OK) == 0 { folder = "/dev/shm" }
        else if let tmp = getenv("TMPDIR") { folder = String(cString: tmp) }
        else { folder = "/tmp" }
        let path = "\(folder)/switchyard-fuzz-\(getpid()).gguf"
        atexit { unlink(FuzzFile.path) }
        return path
    }()

    /// Writes `size` bytes at `data` to `path` (replacing what was there) and returns the path.
    public static func write(_ data: UnsafePointer<UInt8>, _ size: Int) -> String { write(data, size, to: path) }

    /// Removes a file this process wrote.
    public static func remove(_ file: String) { unlink(file) }

    /// Writes `size` bytes at `data` to `file` (replacing what was there) and returns its path.
    public static func write(_ data: UnsafePointer<UInt8>, _ size: Int, to file: String) -> String {
        let fd = open(file, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        precondition(fd >= 0, "FuzzFile: cannot create \(file)")
        var done = 0
        while done < size {
            let n = Glibc.write(fd, data + done, size - done)
            precondition(n > 0, "FuzzFile: cannot write \(file)")
            done += n
        }
        close(fd)
        return file
    }

    /// Writes `bytes` to a file named `name` in `folder` (a seed of a corpus).
    public static func save(_ bytes: [UInt8], as name: String, in folder: String) {
        let path = folder + "/" + name
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        precondition(fd >= 0, "cannot create \(path)")
        bytes.withUnsafeBufferPointer { b in
            var done = 0
            while done < b.count {
                let n = Glibc.write(fd, b.baseAddress! + done, b.count - done)
                precondition(n > 0, "cannot write \(path)")
                done += n
            }
        }
        close(fd)
    }
}

/// Writes a target's seed corpus instead of fuzzing when `SWITCHYARD_FUZZ_SEEDS` names a folder:
/// `Fuzz/fuzz.sh` runs each target once that way before fuzzing it. Call from `LLVMFuzzerInitialize`.
public enum SeedHook {
    /// Runs `write(folder)` and exits when the variable is set; returns otherwise.
    public static func writeSeedsIfAsked(_ write: (String) -> Void) {
        guard let folder = getenv("SWITCHYARD_FUZZ_SEEDS").map({ String(cString: $0) }) else { return }
        mkdir(folder, 0o755)
        write(folder)
        exit(0)
    }

    /// The folder the real models live in (`$SWITCHYARD_MODELS`, else `~/.cache/switchyard/models`).
    public static var modelFolder: String {
        if let custom = getenv("SWITCHYARD_MODELS") { return String(cString: custom) }
        return (getenv("HOME").map { String(cString: $0) } ?? ".") + "/.cache/switchyard/models"
    }

    /// The first `count` bytes of the file at `path` (fewer if it is shorter), or nil if unreadable.
    public static func prefix(of path: String, count: Int) -> [UInt8]? {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes = [UInt8](repeating: 0, count: count)
        let n = bytes.withUnsafeMutableBytes { read(fd, $0.baseAddress, count) }
        return n > 0 ? Array(bytes[0..<n]) : nil
    }
}
