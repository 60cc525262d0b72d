import SwiftletPOSIX

#if canImport(Glibc)
    import Glibc
#endif

/// Where the node's daemon listens and leaves its traces: `~/.swiftlet/run/`, a 0700 directory,
/// so only the node user can reach the socket.
struct RuntimePaths {
    let home: String
    let directory: String

    init(home: String = Environment.home) {
        self.home = home
        directory = home + "/.swiftlet/run"
    }

    var socket: String { directory + "/daemon.sock" }
    var lock: String { directory + "/daemon.lock" }
    /// Who listens: a ``DaemonRecord``.
    var pidFile: String { DaemonRecord.path(home: home) }
    var log: String { directory + "/daemon.log" }
    /// Requests of terminals the transport gives (``PreparedTerminals``), one file per ticket.
    var terminals: String { directory + "/terminals" }

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

    /// The daemon that wrote the pid file, if it still runs.
    func owner() -> DaemonRecord? {
        DaemonRecord.running(home: home)
    }
}
