import SwiftletPOSIX
import SwiftletProtocol
import SwiftletTransport

#if canImport(Glibc)
    import Glibc
#endif

/// `swiftlet-agent daemon`: the node's long-lived runtime. It owns the jobs' processes, so a job
/// outlives the connection that started it; each `serve --stdio` relays one controller
/// connection to it over `~/.swiftlet/run/daemon.sock`.
///
/// One daemon per node user (an exclusive lock). It retires after `idle` with no connection and
/// no job (the next relay starts it again in about a millisecond), except under systemd. Under
/// systemd it speaks sd_notify: READY once listening, STATUS, and WATCHDOG at half the
/// service's `WatchdogSec=`.
enum Daemon {
    struct Options {
        /// Nil: never retire when idle.
        var idle: Duration? = .seconds(600)
    }

    static func run(_ options: Options) async -> Int32 {
        let paths = RuntimePaths()
        let notifier = SystemdNotifier.fromEnvironment()
        AgentEvent.logsToStandardError = true
        // A relay may ask this daemon to retire as soon as the pid file names it, before the
        // handlers are in place: SIGUSR1 must not kill it meanwhile.
        signal(SIGUSR1, SIG_IGN)
        let lock: FileLock
        let listener: Int32
        do {
            try paths.prepare()
            guard let held = try FileLock(path: paths.lock) else {
                writeError("swiftlet-agent daemon: another daemon already runs for this user (\(paths.directory))")
                return 0
            }
            lock = held
            listener = try UnixSocket.listen(path: paths.socket)
            let owner = DaemonRecord(process: .current, managed: notifier != nil, binary: RuntimePaths.binaryIdentity())
            try AtomicFile.write(Array(owner.text.utf8), to: paths.pidFile)
        } catch {
            writeError("swiftlet-agent daemon: \(error)")
            notifier?.send("STATUS=failed to start: \(error)")
            return 71
        }
        let hello: Hello
        do {
            hello = try AgentBuild.hello(managed: notifier != nil)
        } catch {
            writeError("swiftlet-agent daemon: \(error)")
            return 70
        }
        let runtime = NodeRuntime.shared
        await runtime.configure(mode: "daemon", underSystemd: notifier != nil)
        let recoveryWatches = await JobRecovery.recover(runtime)
        await AutostopService.prepare(runtime)
        let lifecycle = Lifecycle(paths: paths, listener: listener, lock: lock, idleLimit: notifier == nil ? options.idle : nil)
        notifier?.send("READY=1\nSTATUS=listening on \(paths.socket)")
        writeError("swiftlet-agent daemon: pid \(getpid()) listening on \(paths.socket)")
        // The daemon's own loops are this group's; the connections it serves are tasks of their
        // own, which a job's run may outlast by far: they end with the process.
        let reason = await withTaskGroup(of: Void.self) { group in
            group.addTask { await lifecycle.followSignals() }
            for watch in recoveryWatches { group.addTask(operation: watch) }
            group.addTask { await lifecycle.tick(every: .seconds(1), on: runtime.clock) { await runtime.idleDuration() } }
            if let notifier { group.addTask { await keepNotifying(notifier, runtime: runtime) } }
            group.addTask { await AutostopService.watch(runtime) }
            group.addTask {
                // Ends when the listener is withdrawn (retiring) or the daemon stops.
                for await (socket, descriptors) in acceptLoop(listener) {
                    Task { await serveRelay(socket, descriptors: descriptors, hello: hello) }
                }
            }
            let reason = await lifecycle.stopped()
            group.cancelAll()
            return reason
        }
        notifier?.send("STOPPING=1\nSTATUS=\(reason)")
        writeError("swiftlet-agent daemon: exiting (\(reason))")
        return 0
    }

    /// Takes the transport's descriptors from a relay, tells it so, and serves the controller on
    /// them; closing `socket` at the end lets the relay exit.
    private static func serveRelay(_ socket: Int32, descriptors: [Int32], hello: Hello) async {
        let closeSocket = CloseOnce(socket)
        defer { closeSocket() }
        guard descriptors.count == 2 else {
            for fd in descriptors { close(fd) }
            return
        }
        // Counted from here, not from the end of the handshake: a retiring daemon must not exit
        // under a connection it just took (its controller would see it close unexplained).
        let runtime = NodeRuntime.shared
        await runtime.connectionOpened()
        var ack: UInt8 = 1
        guard write(socket, &ack, 1) == 1 else {
            // The relay gave up waiting: the transport is its to close, not ours to serve.
            for fd in descriptors { close(fd) }
            await runtime.connectionClosed()
            return
        }
        let connection: PeerConnection
        do {
            connection = try await PeerConnection.establish(input: descriptors[0], output: descriptors[1], hello: hello)
        } catch {
            writeError("swiftlet-agent daemon: a controller's handshake failed: \(error)")
            await runtime.connectionClosed()
            return
        }
        await AgentServer.serve(connection, connectionEnded: closeSocket.callAsFunction)
    }

    private static func keepNotifying(_ notifier: SystemdNotifier, runtime: NodeRuntime) async {
        let interval = notifier.watchdogInterval ?? .seconds(5)
        var lastStatus = ""
        while !Task.isCancelled {
            let state = await runtime.state(build: "")
            let status = "STATUS=\(state.running) running, \(state.pending) pending, \(await runtime.connections) connections"
            var message = notifier.watchdogInterval == nil ? "" : "WATCHDOG=1"
            if status != lastStatus {
                message += (message.isEmpty ? "" : "\n") + status
                lastStatus = status
            }
            if !message.isEmpty { notifier.send(message) }
            await runtime.clock.pause(for: min(interval, .seconds(5)))
        }
    }

    /// Accepted relays with the descriptors they passed, received on threads of their own (a
    /// relay that never sends its descriptors blocks neither the async pool nor the next accept).
    private static func acceptLoop(_ listener: Int32) -> AsyncStream<(Int32, [Int32])> {
        let (stream, continuation) = AsyncStream.makeStream(of: (Int32, [Int32]).self)
        BlockingThread.start {
            while let socket = try? UnixSocket.accept(listener) {
                BlockingThread.start {
                    continuation.yield((socket, UnixSocket.receiveDescriptors(over: socket, count: 2)))
                }
            }
            continuation.finish()
        }
        return stream
    }

    /// Closes a descriptor the first time it is called.
    final class CloseOnce: @unchecked Sendable {
        private let lock = Lock()
        private var fd: Int32

        init(_ fd: Int32) {
            self.fd = fd
        }

        func callAsFunction() {
            lock.withLock {
                if fd >= 0 { close(fd) }
                fd = -1
            }
        }
    }
}
