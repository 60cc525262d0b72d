import NIOCore
import SwiftletPOSIX
import SwiftletProtocol
import SwiftletTransport

#if canImport(Glibc)
    import Glibc
#endif

/// The agent's side of a ``FrameKind/cancel`` stream: marks the job cancelled, then SIGTERM to
/// its whole process group, SIGKILL to what is left after the grace period, and answers once
/// the job's exit record is written.
enum JobCanceller {
    static let grace: Duration = .seconds(3)

    static func run(frame: Frame, stream: MuxStream) async {
        do {
            let request = try FollowRequest(payload: frame.payload)
            let path = CommandLine.expand(request.path, home: Environment.home)
            guard let writer = ProcessIdentity(record: LogFollower.contents(of: path + ".pid")) else {
                try await LogFollower.fail(stream, FollowRequest.notFoundCode, "no job at ~/\(request.path)")
                return
            }
            let exitRecord = LogFollower.contents(of: path + ".exit")
            if !exitRecord.isEmpty {
                try await stream.send(.exit, payload: LogFollower.exitStatus(exitRecord).payload)
                return
            }
            guard writer.isRunning else {
                try await LogFollower.fail(stream, FollowRequest.driverDiedCode, "the job's process is gone without an exit record")
                return
            }
            try AtomicFile.write(Array("cancelled\n".utf8), to: path + ".cancelled")
            ProcessSpawner.signalGroup(writer.pid, SIGTERM)
            let deadline = ContinuousClock.now + grace
            while writer.isRunning, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(50))
            }
            // Children that ignore SIGTERM, or outlive their leader, go now.
            kill(-writer.pid, SIGKILL)
            let recorded = ContinuousClock.now + .seconds(5)
            while LogFollower.contents(of: path + ".exit").isEmpty, ContinuousClock.now < recorded {
                try await Task.sleep(for: .milliseconds(50))
            }
            try await LogFollower.fail(stream, FollowRequest.cancelledCode, "cancelled")
        } catch {
            try? await LogFollower.fail(stream, StreamFailure.badRequestCode, "cancel: \(error)")
        }
    }
}
