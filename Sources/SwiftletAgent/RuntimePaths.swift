import SwiftletPOSIX

#if canImport(Glibc)
    import Glibc
#endif

/// Where the node's daemon listens and leaves its traces: `~/.swiftlet/run/`, a 0700 directory,
/// so only the node user can reach the socket.
struct RuntimePaths {
    let directory: String

    init(home: String = Environment.home) {
        directory = home + "/.swiftlet/run"
    }

    var socket: String { directory + "/daemon.sock" }
    var lock: String { directory + "/daemon.lock" }
    /// `pid start-time managed identity`: who listens, whether a service manager runs it, and
    /// which binary it is.
    var pidFile: String { directory + "/daemon.pid" }
    var log: String { directory + "/daemon.log" }

    /// Creates the directory, or tightens one that exists to 0700.
    func prepare() throws(SystemError) {
        try FileSystem.createDirectories(directory)
        guard chmod(directory, 0o700) == 0 else { throw SystemError(errno: errno, "cannot secure \(directory)") }
    }

    /// What identifies this binary to the daemon's relays: its path, inode and modification time
    /// (a rebuilt or reinstalled agent differs; hashing it on every connection would cost too much).
    static func binaryIdentity() -> String {
        guard let path = try? SelfExecutable.path() else { return "unknown" }
        var info = stat()
        guard stat(path, &info) == 0 else { return path }
        return "\(path):\(info.st_ino):\(info.st_mtim.tv_sec).\(info.st_mtim.tv_nsec)"
    }

    struct Owner: Equatable {
        var process: ProcessIdentity
        /// Run by systemd: a relay of another build talks to it rather than replacing it.
        var managed: Bool
        var binary: String

        var record: String { "\(process.pid) \(process.startTime) \(managed ? 1 : 0) \(binary)\n" }
    }

    /// The daemon that wrote the pid file, if it still runs.
    func owner() -> Owner? {
        let fields = FileSystem.contents(of: pidFile).split(separator: " ", maxSplits: 3)
        guard fields.count >= 2, let pid = pid_t(fields[0]), let start = UInt64(fields[1]) else { return nil }
        let process = ProcessIdentity(pid: pid, startTime: start)
        guard process.isRunning else { return nil }
        // A file without the later fields is from some other agent: never the same binary.
        let binary = fields.count == 4 ? String(fields[3]).trimmingNewline : ""
        return Owner(process: process, managed: fields.count == 4 && fields[2] == "1", binary: binary)
    }
}

extension String {
    var trimmingNewline: String {
        hasSuffix("\n") ? String(dropLast()) : self
    }
}
