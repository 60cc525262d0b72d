#if canImport(Glibc)
    import Glibc
#endif

/// A process named by pid and start time, so a pid reused by another process is never
/// mistaken for it.
public struct ProcessIdentity: Hashable, Sendable {
    public var pid: pid_t
    /// Field 22 of `/proc/PID/stat`: start time in clock ticks since boot.
    public var startTime: UInt64

    public init(pid: pid_t, startTime: UInt64) {
        self.pid = pid
        self.startTime = startTime
    }

    /// The identity of `pid` to stop it by: its own while it lives, else one with no start
    /// time (a process that just ended: signalling its pid then finds nothing, or its zombie).
    public static func current(_ pid: pid_t) -> ProcessIdentity {
        of(pid) ?? ProcessIdentity(pid: pid, startTime: 0)
    }

    /// The identity of the live process `pid`, or nil if there is none (or only its zombie).
    public static func of(_ pid: pid_t) -> ProcessIdentity? {
        let fd = open("/proc/\(pid)/stat", O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes = [UInt8](repeating: 0, count: 1024)
        let count = read(fd, &bytes, bytes.count)
        guard count > 0 else { return nil }
        let text = String(decoding: bytes[0..<count], as: UTF8.self)
        // The command name (field 2) may hold spaces and parentheses: fields restart after the last ')'.
        guard let close = text.lastIndex(of: ")") else { return nil }
        let fields = text[text.index(after: close)...].split(separator: " ")
        // fields[0] is field 3 (state), so field 22 is fields[19]. A zombie (Z) has ended.
        guard fields.count > 19, fields[0] != "Z", fields[0] != "X", let start = UInt64(fields[19]) else { return nil }
        return ProcessIdentity(pid: pid, startTime: start)
    }

    /// `"PID STARTTIME"`, as written beside a job's log.
    public var record: String { "\(pid) \(startTime)\n" }

    public init?(record: String) {
        let fields = record.split(whereSeparator: \.isWhitespace)
        guard let pid = fields.first.flatMap({ pid_t($0) }) else { return nil }
        self.pid = pid
        self.startTime = fields.dropFirst().first.flatMap { UInt64($0) } ?? 0
    }

    /// This process.
    public static let current = ProcessIdentity.of(getpid()) ?? ProcessIdentity(pid: getpid(), startTime: 0)

    /// Whether this very process still runs (not just some process with its pid).
    public var isRunning: Bool {
        ProcessIdentity.of(pid) == self
    }
}
