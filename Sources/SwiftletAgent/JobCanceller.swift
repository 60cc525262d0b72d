import NIOCore
import SwiftletPOSIX
import SwiftletProtocol
import SwiftletTransport

#if canImport(Glibc)
    import Glibc
#endif

/// The agent's side of a ``FrameKind/cancel`` stream: records the job CANCELLED, takes it out of
/// the queue if it waits, else SIGTERM to its whole process group and SIGKILL to what is left
/// after the grace period; answers once no process of the job is left.
enum JobCanceller {
    static let grace: Duration = .seconds(3)

    static func run(frame: Frame, stream: MuxStream) async {
        do {
            let request = try FollowRequest(payload: frame.payload)
            let directory = FileSystem.parent(of: request.path)
            let runtime = NodeRuntime.shared
            guard let record = runtime.store.load(directory: directory) else {
                try await LogFollower.fail(stream, FollowRequest.notFoundCode, "no job at ~/\(directory)")
                return
            }
            if record.state.isFinal {
                try await LogFollower.end(stream, record)
                return
            }
            runtime.store.update(directory: directory) { $0.moved(to: .cancelled, at: UTCTime.now) }
            await runtime.withdraw(NodeRuntime.key(cluster: record.cluster, id: record.id))
            let process = ProcessIdentity(pid: record.pid, startTime: record.pidStartTime)
            if record.pid > 0 && process.isRunning {
                ProcessSpawner.signalGroup(process.pid, SIGTERM)
                let deadline = ContinuousClock.now + grace
                while process.isRunning, ContinuousClock.now < deadline {
                    try await Task.sleep(for: .milliseconds(50))
                }
                // Children that ignore SIGTERM, or outlive their leader, go now.
                kill(-process.pid, SIGKILL)
                let gone = ContinuousClock.now + .seconds(5)
                while process.isRunning, ContinuousClock.now < gone {
                    try await Task.sleep(for: .milliseconds(20))
                }
            }
            try await LogFollower.fail(stream, FollowRequest.cancelledCode, "cancelled")
        } catch {
            try? await LogFollower.fail(stream, StreamFailure.badRequestCode, "cancel: \(error)")
        }
    }
}
