import Dispatch

#if canImport(Glibc)
import Glibc
#endif

/// Reaps every child of this process on `SIGCHLD` and hands each registered child's status to
/// whoever waits for it. Reaping with `waitpid(-1)` also collects orphans re-parented to the
/// agent when it runs as PID 1 in a container.
public final class ChildReaper: @unchecked Sendable {
    /// How a child ended: exit code, or the signal that killed it.
    public enum Termination: Hashable, Sendable {
        case exited(Int32)
        case signaled(Int32)
    }

    public static let shared = ChildReaper()

    private let lock = Lock()
    private var waiters: [pid_t: @Sendable (Termination) -> Void] = [:]
    private var unclaimed: [pid_t: Termination] = [:]
    private let source: DispatchSourceSignal
    private let queue = DispatchQueue(label: "swiftlet.child-reaper")

    private init() {
        signal(SIGCHLD, SIG_DFL)
        source = DispatchSource.makeSignalSource(signal: SIGCHLD, queue: queue)
        source.setEventHandler { [unowned self] in self.reapAll() }
        source.resume()
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
        // A SIGCHLD that fired before the source existed, or was coalesced, must not be lost.
        queue.async { self.reapAll() }
    }

    /// Waits until `pid` ends.
    public func termination(of pid: pid_t) async -> Termination {
        await withCheckedContinuation { continuation in
            onExit(of: pid) { continuation.resume(returning: $0) }
        }
    }

    private func reapAll() {
        while true {
            var status: Int32 = 0
            let pid = waitpid(-1, &status, WNOHANG)
            if pid <= 0 { return }
            let termination: Termination =
                (status & 0x7f) == 0 ? .exited((status >> 8) & 0xff) : .signaled(status & 0x7f)
            lock.lock()
            let waiter = waiters.removeValue(forKey: pid)
            if waiter == nil { unclaimed[pid] = termination }
            lock.unlock()
            waiter?(termination)
        }
    }
}

