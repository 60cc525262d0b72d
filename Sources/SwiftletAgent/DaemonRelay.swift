import SwiftletPOSIX

#if canImport(Glibc)
    import Glibc
#endif

/// `serve --stdio` on a node where the daemon can run: hands its stdin and stdout to the daemon
/// (over `~/.swiftlet/run/daemon.sock`, as SCM_RIGHTS), starting the daemon first when none
/// listens, then waits until the daemon is done with them. The daemon reads and writes the
/// transport's pipes itself, so the relay adds no copy and no hop to the stream.
enum DaemonRelay {
    enum Outcome {
        /// The connection was handed over; the process exits with this code.
        case relayed(Int32)
        /// No daemon could be reached (a read-only home, say): serve in this process instead.
        case unavailable(String)
        /// A daemon took the transport's descriptors without confirming: serving them here too
        /// could garble the stream, so the connection fails with this reason.
        case lost(String)
    }

    /// - Parameter replacesOtherBuilds: false for a controller's spare lane, opened ahead of
    ///   need: it uses whatever daemon runs, and leaves replacing it to real commands.
    static func run(replacesOtherBuilds: Bool = true) -> Outcome {
        let paths = RuntimePaths()
        do {
            try paths.prepare()
        } catch {
            return .unavailable("\(error)")
        }
        let me = RuntimePaths.binaryIdentity()
        var lastProblem = "no daemon answered"
        for _ in 0..<4 {
            // A daemon of another build (the agent was upgraded) hands over to this one, unless
            // systemd runs it (then the protocol's version negotiation bridges the builds).
            if replacesOtherBuilds, let owner = paths.owner(), owner.binary != me, !owner.managed {
                kill(owner.process.pid, SIGUSR1)
                // Once per upgrade; a loaded node may take seconds to act on the signal.
                waitUntil(seconds: 5) { paths.owner() == nil }
            }
            guard let socket = connectOrStart(paths) else {
                lastProblem = "the daemon did not start (see \(paths.log))"
                continue
            }
            // The daemon answers one byte once it holds the descriptors. If they could not be
            // sent, or it closes without a word (it was exiting as we connected), try again. Once
            // sent they are never sent twice: a slow daemon may still take them, and two
            // daemons on one transport would garble it.
            guard (try? UnixSocket.send(descriptors: [0, 1], over: socket)) != nil else {
                close(socket)
                lastProblem = "the daemon closed the connection"
                continue
            }
            guard readByte(socket, timeout: 60_000) else {
                close(socket)
                if paths.owner() == nil { lastProblem = "the daemon exited as it took the connection"; continue }
                return .lost("the daemon took the connection but did not answer in 60 s (see \(paths.log))")
            }
            // The pipes are the daemon's now: holding them here would keep the transport from
            // seeing their end.
            let devNull = open("/dev/null", O_RDWR)
            dup2(devNull, 0)
            dup2(devNull, 1)
            close(devNull)
            // Until the daemon closes the socket: the connection is over.
            _ = readByte(socket, timeout: -1)
            return .relayed(0)
        }
        return .unavailable(lastProblem)
    }

    private static func connectOrStart(_ paths: RuntimePaths) -> Int32? {
        if let socket = connect(paths) { return socket }
        guard let executable = try? SelfExecutable.path(),
            (try? ProcessSpawner.spawnDetached([executable, "daemon"], environment: Environment.all(), logFile: paths.log)) != nil
        else { return nil }
        var socket: Int32?
        waitUntil(seconds: 5) {
            socket = connect(paths)
            return socket != nil
        }
        return socket
    }

    private static func connect(_ paths: RuntimePaths) -> Int32? {
        try? UnixSocket.connect(path: paths.socket)
    }

    /// Waits for a byte (or the end) on `fd`; true when a byte came.
    private static func readByte(_ fd: Int32, timeout: Int32) -> Bool {
        var descriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        while true {
            let ready = poll(&descriptor, 1, timeout)
            if ready < 0 && errno == EINTR { continue }
            guard ready > 0 else { return false }
            var byte: UInt8 = 0
            let count = read(fd, &byte, 1)
            if count < 0 && errno == EINTR { continue }
            return count == 1
        }
    }

    private static func waitUntil(seconds: Int, _ condition: () -> Bool) {
        let deadline = ContinuousClock.now + .seconds(seconds)
        var pause: UInt32 = 1000
        while !condition(), ContinuousClock.now < deadline {
            usleep(pause)
            pause = min(pause * 2, 50_000)
        }
    }
}
