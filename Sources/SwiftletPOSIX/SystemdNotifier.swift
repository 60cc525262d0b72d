#if canImport(Glibc)
    import Glibc
#endif

/// The sd_notify protocol, spoken natively: one datagram per message to the unix socket named
/// by `$NOTIFY_SOCKET` (a path, or `@name` in the abstract namespace). No libsystemd, so the
/// static agent never loads a host library.
public struct SystemdNotifier: Sendable {
    private let path: String
    /// How often systemd wants `WATCHDOG=1` (half of `WATCHDOG_USEC`), when it wants it.
    public let watchdogInterval: Duration?

    /// Reads `NOTIFY_SOCKET`, `WATCHDOG_USEC` and `WATCHDOG_PID` and removes them from the
    /// environment, so the processes this one starts do not talk to systemd in its name.
    /// Nil when the process does not run under a service manager that listens.
    public static func fromEnvironment() -> SystemdNotifier? {
        let socket = Environment.get("NOTIFY_SOCKET")
        let watchdogMicroseconds = Environment.get("WATCHDOG_USEC").flatMap { Int64($0) }
        let watchdogPID = Environment.get("WATCHDOG_PID").flatMap { pid_t($0) }
        unsetenv("NOTIFY_SOCKET")
        unsetenv("WATCHDOG_USEC")
        unsetenv("WATCHDOG_PID")
        guard let socket, !socket.isEmpty else { return nil }
        var interval: Duration?
        if let watchdogMicroseconds, watchdogMicroseconds > 0, watchdogPID == nil || watchdogPID == getpid() {
            interval = .microseconds(watchdogMicroseconds / 2)
        }
        return SystemdNotifier(path: socket, watchdogInterval: interval)
    }

    public init(path: String, watchdogInterval: Duration?) {
        self.path = path
        self.watchdogInterval = watchdogInterval
    }

    /// Sends `message` (`READY=1`, `STATUS=...`, `WATCHDOG=1`, `STOPPING=1`, newline separated).
    @discardableResult
    public func send(_ message: String) -> Bool {
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        var name = Array(path.utf8)
        if name.first == UInt8(ascii: "@") { name[0] = 0 }  // the abstract namespace
        guard name.count < MemoryLayout.size(ofValue: address.sun_path) else { return false }
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: name) }
        let length = socklen_t(MemoryLayout<sa_family_t>.size + name.count + (name.first == 0 ? 0 : 1))
        let bytes = Array(message.utf8)
        let sent = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { address in
                bytes.withUnsafeBytes { sendto(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL), address, length) }
            }
        }
        return sent == bytes.count
    }
}
