import NIOCore
import SwiftletPOSIX
import SwiftletProtocol
import SwiftletTransport

#if canImport(Glibc)
    import Glibc
#endif

/// The agent's side of a ``FollowRequest``: sends a log file from an offset, then what the job
/// appends, until the job's record says it ended.
enum LogFollower {
    static let pollInterval: Duration = .milliseconds(100)
    /// How long a job's process may be gone before its record says it ended, before the job is
    /// settled without its agent (``JobStore/settleOrphan(directory:)``: from its supervisor's
    /// exit file, else FAILED_DRIVER); its agent records the end just after reaping it.
    static let driverGrace: Duration = .seconds(2)

    static func serve(_ payload: ByteBuffer, on stream: MuxStream, clock: LoopClock = NodeRuntime.shared.clock) async {
        do {
            let request = try FollowRequest(payload: payload)
            let job = request.job
            guard JobStore.isValidCluster(job.cluster) else {
                try await fail(stream, .badRequest, "bad cluster name '\(job.cluster)'")
                return
            }
            let directory = JobStore.directory(cluster: job.cluster, id: job.id)
            let store = NodeRuntime.shared.store
            let fd = open(Environment.home + "/" + JobStore.logPath(of: job), O_RDONLY | O_CLOEXEC)
            guard fd >= 0, let first = store.load(directory: directory) else {
                if fd >= 0 { close(fd) }
                // A job that ended without a run (a task without one, a failed setup): how it ended.
                if job.step == .run, let record = store.load(directory: directory), record.state.isFinal {
                    try await end(stream, record)
                    return
                }
                try await fail(stream, .notFound, "no \(job.step) of job \(job.id) of '\(job.cluster)' on this node")
                return
            }
            defer { close(fd) }
            var started = ByteBuffer()
            started.writeInteger(UInt32(max(first.pid, 0)))
            try await stream.send(.started, payload: started)
            var offset = off_t(request.offset)
            var chunk = [UInt8](repeating: 0, count: 256 * 1024)
            var driverGoneSince: Duration?
            while true {
                // Read the record before the log, so nothing written before the job ended is missed.
                guard let record = store.load(directory: directory) else {
                    try await fail(stream, StreamFailure.Code.notFound, "the job's record is gone")
                    return
                }
                let count = pread(fd, &chunk, chunk.count, offset)
                if count > 0 {
                    try await stream.send(.data, ByteBuffer(bytes: chunk[0..<count]))
                    offset += off_t(count)
                    continue
                }
                if job.step == .setup, let setupEnd = setupEnd(record) {
                    try await noteCut(record, step: job.step, on: stream)
                    try await stream.send(.exit, payload: setupEnd.payload)
                    return
                }
                if record.state.isFinal {
                    try await noteCut(record, step: job.step, on: stream)
                    try await end(stream, record)
                    return
                }
                if Self.driverIsGone(record) {
                    let goneSince = driverGoneSince ?? clock.now
                    driverGoneSince = goneSince
                    // Unless this daemon runs the step: it records the end itself, however late.
                    if clock.now - goneSince > driverGrace,
                        await !NodeRuntime.shared.runsStep(of: NodeRuntime.key(cluster: record.cluster, id: record.id))
                    {
                        NodeRuntime.shared.store.settleOrphan(directory: directory)
                        continue
                    }
                } else {
                    driverGoneSince = nil
                    guard request.follow else {
                        try await fail(stream, StreamFailure.Code.stillRunning, "the job is \(record.state.rawValue)")
                        return
                    }
                }
                try await clock.sleep(for: pollInterval)
            }
        } catch {
            try? await fail(stream, StreamFailure.Code.badRequest, "follow: \(error)")
        }
    }

    /// How the job's setup ended, once it has: as recorded, or, for a record from before setups
    /// were recorded, a success when the run came after it.
    static func setupEnd(_ record: JobRecord) -> ExitStatus? {
        if let setupExit = record.setupExit { return setupExit }
        return [.running, .succeeded, .failed].contains(record.state) ? ExitStatus(code: 0) : nil
    }

    /// Says, on stderr, that the step's log stops early, when the disk filled while it ran.
    static func noteCut(_ record: JobRecord, step: JobTicket.Step, on stream: MuxStream) async throws {
        guard let cut = record.logCut, cut.step == step else { return }
        try await stream.send(.stderr, ByteBuffer(string: JobStep.cutNotice(id: record.id, step: step, offset: cut.offset, reason: nil)))
    }

    /// The last frame for a job that ended: its exit status, or why there is none.
    static func end(_ stream: MuxStream, _ record: JobRecord) async throws {
        switch record.state {
        case .cancelled:
            try await fail(stream, StreamFailure.Code.cancelled, "the job was cancelled")
        case .failedDriver:
            try await fail(stream, StreamFailure.Code.driverDied, "the job's process died without an exit record (FAILED_DRIVER)")
        default:
            try await stream.send(.exit, payload: (record.exit ?? ExitStatus(code: record.state == .succeeded ? 0 : 1)).payload)
        }
    }

    /// Whether a job that has not ended has lost its process, with no agent left to record its
    /// end: a waiting (PENDING) job has no process yet, and a live owner records the end itself.
    static func driverIsGone(_ record: JobRecord) -> Bool {
        switch record.state {
        case .running, .settingUp:
            guard record.pid > 0, !ProcessIdentity(pid: record.pid, startTime: record.pidStartTime).isRunning else { return false }
            return record.liveOwner == nil
        default:
            return false
        }
    }

    static func fail(_ stream: MuxStream, _ code: StreamFailure.Code, _ message: String) async throws {
        try await stream.send(.reset, payload: StreamFailure(code: code, message: message).payload)
    }
}
