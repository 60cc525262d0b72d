import Dispatch
import SwiftletPOSIX

#if canImport(Glibc)
    import Glibc
#endif

/// `serve --stdio` on a node where the daemon can run: connects stdin and stdout to the daemon's
/// socket, starting the daemon first when none listens, and copies bytes both ways until either
/// side closes. The daemon speaks the protocol; the relay never looks inside.
enum DaemonRelay {
    enum Outcome {
        /// The connection was relayed; the process exits with this code.
        case relayed(Int32)
        /// No daemon could be reached (a read-only home, say): serve in this process instead.
        case unavailable(String)
    }

    static func run() -> Outcome {
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
            if let owner = paths.owner(), owner.binary != me, !owner.managed {
                kill(owner.process.pid, SIGUSR1)
                waitUntil(seconds: 2) { paths.owner() == nil }
            }
            guard let socket = connectOrStart(paths) else {
                lastProblem = "the daemon did not start (see \(paths.log))"
                continue
            }
            // The daemon speaks first. Nothing from it means it was exiting as we connected.
            guard let first = readSome(socket) else {
                close(socket)
                lastProblem = "the daemon closed the connection"
                continue
            }
            guard writeAll(1, first) else { return .relayed(0) }
            return .relayed(pump(socket: socket))
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
        guard let address = try? paths.socketAddress() else { return nil }
        defer { if let fd = address.directoryFD { close(fd) } }
        return try? UnixSocket.connect(path: address.path)
    }

    /// Copies stdin to the socket on another thread and the socket to stdout on this one; returns
    /// when the daemon closes the connection or stdout is gone.
    private static func pump(socket: Int32) -> Int32 {
        DispatchQueue.global().async {
            var buffer = [UInt8](repeating: 0, count: 256 * 1024)
            while true {
                let count = read(0, &buffer, buffer.count)
                if count < 0 && errno == EINTR { continue }
                if count <= 0 || !writeAll(socket, buffer[0..<count]) { break }
            }
            // The controller is gone or done: the daemon sees the end of its connection.
            shutdown(socket, Int32(SHUT_WR))
        }
        var buffer = [UInt8](repeating: 0, count: 256 * 1024)
        while true {
            let count = read(socket, &buffer, buffer.count)
            if count < 0 && errno == EINTR { continue }
            if count <= 0 || !writeAll(1, buffer[0..<count]) { break }
        }
        return 0
    }

    private static func readSome(_ fd: Int32) -> ArraySlice<UInt8>? {
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        var descriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&descriptor, 1, 10_000) > 0 else { return nil }
        while true {
            let count = read(fd, &buffer, buffer.count)
            if count < 0 && errno == EINTR { continue }
            return count > 0 ? buffer[0..<count] : nil
        }
    }

    private static func writeAll(_ fd: Int32, _ bytes: ArraySlice<UInt8>) -> Bool {
        var offset = bytes.startIndex
        while offset < bytes.endIndex {
            let written = bytes.withUnsafeBytes { raw in
                write(fd, raw.baseAddress! + (offset - bytes.startIndex), bytes.endIndex - offset)
            }
            if written < 0 && errno == EINTR { continue }
            if written <= 0 { return false }
            offset += written
        }
        return true
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
