import SwiftletPOSIX
import UnixSignals

#if canImport(Glibc)
    import Glibc
#endif

extension Daemon {
    /// Carries out what ``DaemonLifeStateMachine`` decides: it reads the daemon's signals (its
    /// one owner of them, as a sequence), ticks its clock, withdraws the socket when retiring,
    /// and tells ``stopped()`` when the daemon is to exit.
    final class Lifecycle: Sendable {
        private let paths: RuntimePaths
        private let listener: Int32
        private let lock: FileLock
        private let machine: Locked<DaemonLifeStateMachine>
        private let exitReason = Locked<(reason: String?, waiter: CheckedContinuation<String, Never>?)>((nil, nil))

        init(paths: RuntimePaths, listener: Int32, lock: FileLock, idleLimit: Duration?) {
            self.paths = paths
            self.listener = listener
            self.lock = lock
            self.machine = Locked(DaemonLifeStateMachine(idleLimit: idleLimit))
        }

        /// SIGTERM and SIGINT stop the daemon; SIGUSR1 retires it (a newer agent took over).
        func followSignals() async {
            for await signal in await UnixSignalsSequence(trapping: .sigterm, .sigint, .sigusr1) {
                handle(signal == .sigusr1 ? .retire : .terminate)
            }
        }

        /// Tells the machine, every `interval` of `clock`, how long the node has been idle.
        func tick(every interval: Duration, on clock: LoopClock, idle: @Sendable () async -> Duration?) async {
            while !Task.isCancelled {
                await clock.pause(for: interval)
                handle(.tick(idle: await idle()))
            }
        }

        /// Returns the reason once the daemon is to exit.
        func stopped() async -> String {
            await withCheckedContinuation { continuation in
                let reason = exitReason.withLock { state -> String? in
                    if state.reason == nil { state.waiter = continuation }
                    return state.reason
                }
                if let reason { continuation.resume(returning: reason) }
            }
        }

        private func handle(_ event: DaemonLifeStateMachine.Event) {
            switch machine.withLock({ $0.handle(event) }) {
            case .none:
                break
            case .stopListening:
                withdrawSocket()
                shutdown(listener, Int32(SHUT_RDWR))
                close(listener)
                lock.release()
                writeError("swiftlet-agent daemon: retiring; a newer agent takes over (jobs running here finish here)")
            case .leave(let reason):
                if machine.withLock({ $0.phase }) != .stopped(reason: "retired") { withdrawSocket() }
                let waiter = exitReason.withLock { state in
                    state.reason = reason
                    defer { state.waiter = nil }
                    return state.waiter
                }
                waiter?.resume(returning: reason)
            }
        }

        /// Removes the socket and pid file, if they are still this daemon's.
        private func withdrawSocket() {
            guard paths.owner()?.process.pid == getpid() else { return }
            unlink(paths.socket)
            unlink(paths.pidFile)
        }
    }
}
