import SwiftletPOSIX

#if canImport(Glibc)
    import Glibc
#endif

/// Runs a tool the agent asks something of (`nvidia-smi`, `amd-smi`) and keeps what it
/// printed. A tool that hangs (a driver in a bad state makes `nvidia-smi` wait for minutes) is
/// killed at the deadline: the agent must come up without its answer rather than not at all.
enum CommandCapture {
    struct Result {
        /// Nil when it was killed at the deadline or its end was reaped by someone else (the
        /// daemon's reaper of every child).
        var exitCode: Int32?
        var timedOut: Bool
        var output: String

        /// It ran to its end and did not say it failed.
        var succeeded: Bool { !timedOut && (exitCode ?? 0) == 0 }
    }

    /// Runs `arguments` (an absolute path first) and returns its stdout; its stderr is read and
    /// dropped. Nil when it could not start.
    static func run(_ arguments: [String], environment: [String: String], timeout: Duration = .seconds(10)) -> Result? {
        guard let pipes = try? ProcessSpawner.spawn(arguments, environment: environment, workingDirectory: "/") else { return nil }
        close(pipes.stdin)
        var output: [UInt8] = []
        var open = [pipes.stdout, pipes.stderr].filter { $0 >= 0 }
        let deadline = ContinuousClock.now + timeout
        var buffer = [UInt8](repeating: 0, count: 65536)
        var timedOut = false
        while !open.isEmpty {
            let left = ContinuousClock.now.duration(to: deadline)
            guard left > .zero else {
                timedOut = true
                break
            }
            var polled = open.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
            let milliseconds = Int32(min(left.components.seconds * 1000 + left.components.attoseconds / 1_000_000_000_000_000, 60_000))
            guard poll(&polled, nfds_t(polled.count), max(milliseconds, 1)) >= 0 || errno == EINTR else { break }
            for entry in polled where entry.revents != 0 {
                let count = buffer.withUnsafeMutableBytes { read(entry.fd, $0.baseAddress, $0.count) }
                if count > 0 {
                    // Enough for any GPU listing; the rest is read and dropped.
                    if entry.fd == pipes.stdout && output.count < 4 << 20 { output += buffer[0..<count] }
                } else if count == 0 || errno != EINTR && errno != EAGAIN {
                    close(entry.fd)
                    open.removeAll { $0 == entry.fd }
                }
            }
        }
        for fd in open { close(fd) }
        if timedOut { ProcessSpawner.signalGroup(pipes.pid, SIGKILL) }
        var status: Int32 = 0
        var reaped: pid_t
        repeat { reaped = waitpid(pipes.pid, &status, 0) } while reaped < 0 && errno == EINTR
        let exited = reaped == pipes.pid && (status & 0x7f) == 0
        return Result(
            exitCode: timedOut || !exited ? nil : (status >> 8) & 0xff,
            timedOut: timedOut,
            output: String(decoding: output, as: UTF8.self)
        )
    }

    /// The first executable `name` in `path` (a `PATH` value); nil when none.
    static func find(_ name: String, in path: String?) -> String? {
        for directory in (path ?? "/usr/local/bin:/usr/bin:/bin").split(separator: ":") where !directory.isEmpty {
            let candidate = directory + "/" + name
            if access(candidate, X_OK) == 0 { return candidate }
        }
        return nil
    }
}
