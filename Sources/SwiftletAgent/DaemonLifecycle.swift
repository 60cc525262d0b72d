import Dispatch
import SwiftletPOSIX

#if canImport(Glibc)
    import Glibc
#endif

extension Daemon {
    /// How the daemon stops: SIGTERM (or idle) removes its socket and exits; SIGUSR1 retires it
    /// (a newer agent took over): it stops listening at once and exits when its jobs are done.
    final class Lifecycle: @unchecked Sendable {
        private let paths: RuntimePaths
        private let listener: Int32
        private let lock: FileLock
        private let notifier: SystemdNotifier?
        private let mutex = Lock()
        private var retiring = false
        private var signalSources: [any DispatchSourceSignal] = []

        init(paths: RuntimePaths, listener: Int32, lock: FileLock, notifier: SystemdNotifier?) {
            self.paths = paths
            self.listener = listener
            self.lock = lock
            self.notifier = notifier
        }

        var isRetiring: Bool { mutex.withLock { retiring } }

        func installSignalHandlers() {
            for (number, action) in [(SIGTERM, stopOnSignal), (SIGINT, stopOnSignal), (SIGUSR1, retire)] {
                signal(number, SIG_IGN)
                let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
                source.setEventHandler(handler: action)
                source.resume()
                signalSources.append(source)
            }
        }

        private func stopOnSignal() { stop(reason: "stopped by signal") }

        /// Stops listening and frees the lock so a new daemon can start; jobs keep running here.
        func retire() {
            mutex.withLock {
                guard !retiring else { return }
                retiring = true
                withdrawSocket()
                shutdown(listener, Int32(SHUT_RDWR))
                close(listener)
                lock.release()
            }
            writeError("swiftlet-agent daemon: retiring; a newer agent takes over (jobs running here finish here)")
        }

        func stop(reason: String) -> Never {
            notifier?.send("STOPPING=1\nSTATUS=\(reason)")
            mutex.withLock { if !retiring { withdrawSocket() } }
            writeError("swiftlet-agent daemon: exiting (\(reason))")
            exit(0)
        }

        /// Removes the socket and pid file, if they are still this daemon's.
        private func withdrawSocket() {
            guard paths.owner()?.process.pid == getpid() else { return }
            unlink(paths.socket)
            unlink(paths.pidFile)
        }
    }
}
