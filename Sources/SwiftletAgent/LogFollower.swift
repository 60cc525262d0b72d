import NIOCore
import SwiftletPOSIX
import SwiftletProtocol
import SwiftletTransport

#if canImport(Glibc)
    import Glibc
#endif

/// The agent's side of a ``FollowRequest``: sends a log file from an offset, then what the job
/// appends, until the job's exit record appears.
enum LogFollower {
    static let pollInterval: Duration = .milliseconds(100)

    static func run(frame: Frame, stream: MuxStream) async {
        do {
            let request = try FollowRequest(payload: frame.payload)
            let path = CommandLine.expand(request.path, home: Environment.home)
            let fd = open(path, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else {
                try await fail(stream, FollowRequest.notFoundCode, "no log at ~/\(request.path)")
                return
            }
            defer { close(fd) }
            let writer = ProcessIdentity(record: contents(of: path + ".pid"))
            let pid = writer?.pid ?? 0
            var started = ByteBuffer()
            started.writeInteger(UInt32(max(pid, 0)))
            try await stream.send(.started, payload: started)
            var offset = off_t(request.offset)
            var chunk = [UInt8](repeating: 0, count: 256 * 1024)
            var driverGoneSince: ContinuousClock.Instant?
            while true {
                // Check for the exit record before reading, so nothing written before it is missed.
                let exitRecord = contents(of: path + ".exit")
                let count = pread(fd, &chunk, chunk.count, offset)
                if count > 0 {
                    try await stream.send(.data, ByteBuffer(bytes: chunk[0..<count]))
                    offset += off_t(count)
                    continue
                }
                if !exitRecord.isEmpty {
                    if !contents(of: path + ".cancelled").isEmpty {
                        try await fail(stream, FollowRequest.cancelledCode, "the job was cancelled")
                        return
                    }
                    try await stream.send(.exit, payload: exitStatus(exitRecord).payload)
                    return
                }
                if !(writer?.isRunning ?? false) {
                    // Its agent writes the exit record just after reaping it: give it a moment.
                    if driverGoneSince == nil { driverGoneSince = .now }
                    if driverGoneSince!.duration(to: .now) > .seconds(2) {
                        try await fail(stream, FollowRequest.driverDiedCode, "the job's process is gone without an exit record")
                        return
                    }
                    try await Task.sleep(for: pollInterval)
                    continue
                }
                guard request.follow else {
                    try await fail(stream, FollowRequest.stillRunningCode, "the job is still running")
                    return
                }
                try await Task.sleep(for: pollInterval)
            }
        } catch {
            try? await fail(stream, StreamFailure.badRequestCode, "follow: \(error)")
        }
    }

    /// `"CODE SIGNAL"` as ``ProcessSession`` writes it.
    static func exitStatus(_ record: String) -> ExitStatus {
        let fields = record.split(whereSeparator: \.isWhitespace).map(String.init)
        return ExitStatus(code: Int32(fields.first ?? "") ?? -1, signal: UInt32(fields.dropFirst().first ?? "") ?? 0)
    }

    static func fail(_ stream: MuxStream, _ code: UInt32, _ message: String) async throws {
        try await stream.send(.reset, payload: StreamFailure(code: code, message: message).payload)
    }

    static func contents(of path: String) -> String {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return "" }
        defer { close(fd) }
        var bytes = [UInt8](repeating: 0, count: 256)
        let count = read(fd, &bytes, bytes.count)
        return count > 0 ? String(decoding: bytes[0..<count], as: UTF8.self) : ""
    }
}
