import SwiftletPOSIX
import SwiftletProtocol

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

    /// Written in place if the disk filled meanwhile, over the placeholder that
    /// ``reserve(_:)`` left.
    func write(to path: String) throws(SystemError) {
        try AtomicFile.replace(Array(text.utf8), at: path)
    }

    /// Takes the file's place while the step runs (read as no exit yet), so its end can still be
    /// written when the step fills the disk.
    static func reserve(_ path: String) {
        try? AtomicFile.write(Array("running=1\n".utf8), to: path)
    }
}
