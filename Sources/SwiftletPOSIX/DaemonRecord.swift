/// The node daemon's pid file, `~/.swiftlet/run/daemon.pid`: `pid start-time managed binary`.
/// Written by the daemon, read by its relays (is it mine? may I replace it?) and by the
/// controller when it stops a local node.
public struct DaemonRecord: Equatable, Sendable {
    public var process: ProcessIdentity
    /// Run by systemd: a relay of another build talks to it rather than replacing it.
    public var managed: Bool
    /// What identifies the daemon's binary (path, inode, modification time).
    public var binary: String

    public init(process: ProcessIdentity, managed: Bool, binary: String) {
        self.process = process
        self.managed = managed
        self.binary = binary
    }

    public static func path(home: String) -> String { home + "/.swiftlet/run/daemon.pid" }

    public var text: String { "\(process.pid) \(process.startTime) \(managed ? 1 : 0) \(binary)\n" }

    /// The daemon that wrote the pid file under `home`, if it still runs.
    public static func running(home: String) -> DaemonRecord? {
        let fields = FileSystem.contents(of: path(home: home)).split(separator: " ", maxSplits: 3)
        guard fields.count >= 2, let pid = Int32(fields[0]), let start = UInt64(fields[1]) else { return nil }
        let process = ProcessIdentity(pid: pid, startTime: start)
        guard process.isRunning else { return nil }
        // A file without the later fields is from some other agent: never the same binary.
        let binary = fields.count == 4 ? String(fields[3].split(separator: "\n").first ?? "") : ""
        return DaemonRecord(process: process, managed: fields.count == 4 && fields[2] == "1", binary: binary)
    }
}
