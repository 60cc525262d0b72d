import Dispatch

#if canImport(Glibc)
    import Glibc
#endif

/// Collects the exit status of child processes on `SIGCHLD` and hands it to whoever waits.
///
/// By default it reaps only the children registered with it, so it can live in a process that
/// also runs children through other means (Foundation's `Process` in tests). The agent turns
/// on ``reapsEveryChild`` so that, as PID 1 in a container, it also collects orphans.
public final class ChildReaper: @unchecked Sendable {
    /// How a child ended: exit code, or the signal that killed it.
    public enum Termination: Hashable, Sendable {
        case exited(Int32)
        case signaled(Int32)

        /// What `waitpid` reported for a child that ended.
        public init(waitStatus status: Int32) {
            self = (status & 0x7f) == 0 ? .exited((status >> 8) & 0xff) : .signaled(status & 0x7f)
        }
    }

    public static let shared = ChildReaper()

    private let lock = Lock()
    private var waiters: [pid_t: @Sendable (Termination) -> Void] = [:]
    private var unclaimed: [pid_t: Termination] = [:]
    private var reapEverything = false
    private let source: DispatchSourceSignal
    private let queue = DispatchQueue(label: "swiftlet.child-reaper")

    private init() {
        source = DispatchSource.makeSignalSource(signal: SIGCHLD, queue: queue)
        source.setEventHandler { [unowned self] in self.reap() }
        source.resume()
    }

    /// Reap any child, registered or not (orphans re-parented to a PID 1 agent included).
    public var reapsEveryChild: Bool {
        get { lock.withLock { reapEverything } }
        set {
            lock.withLock { reapEverything = newValue }
            queue.async { self.reap() }
        }
    }

    /// Calls `handler` once when `pid` ends (at once if it already has).
    public func onExit(of pid: pid_t, _ handler: @escaping @Sendable (Termination) -> Void) {
        lock.lock()
        if let termination = unclaimed.removeValue(forKey: pid) {
            lock.unlock()
            handler(termination)
            return
        }
        waiters[pid] = handler
        lock.unlock()
        // The child may have exited before it was registered; its SIGCHLD is already spent.
        queue.async { self.reap() }
    }

    /// Waits until `pid` ends.
    public func termination(of pid: pid_t) async -> Termination {
        await withCheckedContinuation { continuation in
            onExit(of: pid) { continuation.resume(returning: $0) }
        }
    }

    private func reap() {
        let (everything, registered) = lock.withLock { (reapEverything, Array(waiters.keys)) }
        if everything {
            while case let (pid, status) = waitAny(-1), pid > 0 { deliver(pid, status) }
        } else {
            for pid in registered {
                let (reaped, status) = waitAny(pid)
                if reaped > 0 { deliver(reaped, status) }
            }
        }
    }

    private func waitAny(_ pid: pid_t) -> (pid_t, Int32) {
        var status: Int32 = 0
        let reaped = waitpid(pid, &status, WNOHANG)
        return (reaped, status)
    }

    private func deliver(_ pid: pid_t, _ status: Int32) {
        let termination = Termination(waitStatus: status)
        lock.lock()
        let waiter = waiters.removeValue(forKey: pid)
        // Kept for a registration that comes late; orphans reaped as PID 1 never claim theirs,
        // so their number is bounded.
        if waiter == nil && unclaimed.count < 4096 { unclaimed[pid] = termination }
        lock.unlock()
        waiter?(termination)
    }
}
