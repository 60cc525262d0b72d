import Foundation
import SwiftletPOSIX

/// A `/bin/sh` snippet run on a node through its transport, without its agent: how a container
/// host is told to log in, pull and start a container. Each line the snippet prints is handed
/// to `onLine` as it comes; the first answer `onLine` gives is written to the snippet's stdin,
/// which is then closed (an agent's bytes, a password for `login --password-stdin`: never argv).
/// A snippet that gets no answer reads an empty stdin.
enum HostCommand {
    struct Result: Sendable {
        /// Nil when the snippet closed its output but did not end within a minute (then killed).
        var status: ChildReaper.Termination?
        var lines: [String]
        var stderr: String
    }

    static func run(
        _ script: String,
        on host: NodeAddress,
        home: SwiftletHome,
        onLine: @escaping @Sendable (String) -> [UInt8]? = { _ in nil }
    ) async throws -> Result {
        try home.ensure(home.transportErrors)
        let stderrFile = home.transportErrors + "/host-\(getpid())-\(UUID().uuidString.prefix(8))"
        defer { unlink(stderrFile) }
        let launch = try host.launch(script, home: home)
        let pipes = try ProcessSpawner.spawn(
            launch.arguments,
            environment: launch.environment,
            workingDirectory: launch.workingDirectory,
            stderrFile: stderrFile
        )
        let exited = TransportExit(pid: pipes.pid)
        let lines = await BlockingThread.value {
            var input: Int32? = pipes.stdin
            defer {
                if let input { close(input) }
                close(pipes.stdout)
            }
            return readLines(pipes.stdout) { line in
                guard let answer = onLine(line), let open = input else { return }
                // The snippet may end without reading it all: a write to a closed pipe is EPIPE
                // here, never a signal (the controller ignores SIGPIPE).
                _ = answer.withUnsafeBytes { FileDescriptorIO.writeAll(open, $0) }
                close(open)
                input = nil
            }
        }
        let status = await exited.wait(upTo: .seconds(60), on: .continuous)
        if status == nil { kill(pipes.pid, SIGKILL) }
        let stderr = (try? String(contentsOfFile: stderrFile, encoding: .utf8)) ?? ""
        return Result(status: status, lines: lines, stderr: stderr)
    }

    private static func readLines(_ fd: Int32, onLine: (String) -> Void) -> [String] {
        var lines: [String] = []
        var pending: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let got = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if got < 0 && errno == EINTR { continue }
            guard got > 0 else { break }
            pending += buffer[0..<got]
            while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                let line = String(decoding: pending[..<newline], as: UTF8.self)
                pending.removeSubrange(...newline)
                lines.append(line)
                onLine(line)
            }
        }
        if !pending.isEmpty { lines.append(String(decoding: pending, as: UTF8.self)) }
        return lines
    }
}
