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

    static func serve(_ payload: ByteBuffer, on stream: MuxStream) async {
        await serve(payload, on: stream, asGangStop: false)
    }

    /// A ``StreamType/stop`` stream: a rank its gang gave up on (another rank failed) is killed
    /// at once, SIGKILL to its whole tree, and recorded as killed (137) by the agent that runs
    /// it, exactly as when its controller signals it: not as cancelled.
    static func stop(_ payload: ByteBuffer, on stream: MuxStream) async {
        await serve(payload, on: stream, asGangStop: true)
    }

    private static func serve(_ payload: ByteBuffer, on stream: MuxStream, asGangStop: Bool) async {
        do {
            let job = try FollowRequest(payload: payload).job
            guard JobStore.isValidCluster(job.cluster) else {
                try await LogFollower.fail(stream, .badRequest, "bad cluster name '\(job.cluster)'")
                return
            }
            let directory = JobStore.directory(cluster: job.cluster, id: job.id)
            let runtime = NodeRuntime.shared
            guard let record = runtime.store.load(directory: directory) else {
                try await LogFollower.fail(stream, .notFound, "no job \(job.id) of '\(job.cluster)' on this node")
                return
            }
            if record.state.isFinal {
                try await LogFollower.end(stream, record)
                return
            }
            let process = ProcessIdentity(pid: record.pid, startTime: record.pidStartTime)
            if asGangStop {
                if record.pid > 0 && process.isRunning {
                    kill(-process.pid, SIGKILL)
                    let marker = "SKYPILOT_TASK_ID=\(record.taskID)"
                    for escaped in ProcessTable.pids(withEnvironmentEntry: marker) where !record.taskID.isEmpty { kill(escaped, SIGKILL) }
                }
                try await stream.send(.exit, payload: ExitStatus.killed(by: SIGKILL).payload)
                return
            }
            var unrecorded: SystemError?
            do {
                try runtime.store.modify(directory: directory, durable: true) { $0?.moved(to: .cancelled, at: UTCTime.now) }
            } catch {
                unrecorded = error
            }
            await runtime.withdraw(NodeRuntime.key(cluster: record.cluster, id: record.id))
            if record.pid > 0 && process.isRunning { await ProcessTerminator(grace: grace).terminate(process, taskID: record.taskID) }
            if let unrecorded {
                // Said as it is: the processes are gone, but the record does not say CANCELLED.
                let message = "the job's processes were stopped, but its record could not say so: \(unrecorded)"
                try await LogFollower.fail(stream, StreamFailure.Code.spawnFailed, message)
                return
            }
            try await LogFollower.fail(stream, StreamFailure.Code.cancelled, "cancelled")
        } catch {
            try? await LogFollower.fail(stream, StreamFailure.Code.badRequest, "cancel: \(error)")
        }
    }
}
