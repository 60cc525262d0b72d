import SwiftletPOSIX
import SwiftletProtocol

#if canImport(Glibc)
    import Glibc
#endif

/// What a job's supervisor leaves when its step ends: how the process ended and, when the disk
/// filled, where the step's log stops. Written once, atomically, next to the log (`run.exit`),
/// so the end is known even when no daemon was there to see it.
struct JobExitFile: Sendable {
    var status: ExitStatus
    var logCut: LogFile.Cut?

    var text: String {
        "exit=\(status.code) \(status.signal)\n" + (logCut.map { "log_cut=\($0.offset) \($0.error.errno)\n" } ?? "")
    }

    init(status: ExitStatus, logCut: LogFile.Cut?) {
        self.status = status
        self.logCut = logCut
    }

    /// The file at `path`; nil when there is none (the step has not ended, or its supervisor
    /// died with it) or it is not one.
    init?(path: String) {
        var status: ExitStatus?
        var logCut: LogFile.Cut?
        for line in FileSystem.contents(of: path).split(separator: "\n") {
            let parts = line.split(separator: "=", maxSplits: 1)
            guard parts.count == 2 else { return nil }
            let values = parts[1].split(separator: " ")
            switch parts[0] {
            case "exit" where values.count == 2:
                guard let code = Int32(values[0]), let signal = UInt32(values[1]) else { return nil }
                status = ExitStatus(code: code, signal: signal)
            case "log_cut" where values.count == 2:
                guard let offset = UInt64(values[0]), let code = Int32(values[1]) else { return nil }
                logCut = LogFile.Cut(offset: offset, error: SystemError(errno: code, "cannot write the log"))
            default:
                continue
            }
        }
        guard let status else { return nil }
        self.init(status: status, logCut: logCut)
    }

    /// Creates the file with a placeholder (read as no exit yet), which gives it the block its
    /// end needs: the daemon does it before the step runs, and refuses the step when it cannot
    /// (a full disk), as it refuses a job it cannot record. No rename: a job's files are its
    /// own, and a placeholder cut short reads as no exit too.
    static func reserve(_ path: String) throws(SystemError) {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw SystemError(errno: errno, "cannot create \(path)") }
        defer { close(fd) }
        guard Array(placeholder.utf8).withUnsafeBytes({ FileDescriptorIO.writeAll(fd, $0) }) else {
            throw SystemError(errno: errno, "cannot write \(path)")
        }
    }

    private static let placeholder = "running=1\n"

    /// The supervisor's hold on the file: overwritten in place, in the block the placeholder
    /// gave it, so the step's end can be written even when the step filled the disk, and with
    /// no new file or rename on the path of every job. Nobody reads it before the supervisor
    /// wrote it whole: the daemon reads it once the supervisor is gone.
    struct Writer {
        private let fd: Int32

        init(path: String) {
            fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0o600)
            var info = stat()
            if fd >= 0, fstat(fd, &info) == 0, info.st_size == 0 { write(JobExitFile.placeholder) }
        }

        func record(_ file: JobExitFile) { write(file.text) }

        /// Never a length without its bytes: a write that fails leaves the file as it was.
        private func write(_ text: String) {
            guard fd >= 0 else { return }
            let bytes = Array(text.utf8)
            guard bytes.withUnsafeBytes({ pwrite(fd, $0.baseAddress!, $0.count, 0) }) == bytes.count else { return }
            _ = ftruncate(fd, off_t(bytes.count))
        }
    }
}
