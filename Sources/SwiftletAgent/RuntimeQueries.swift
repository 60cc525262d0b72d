import NIOCore
import SwiftletProtocol
import SwiftletTransport

/// Answers the read-only questions about the node: its job records (``FrameKind/jobs``) and the
/// runtime's own state (``FrameKind/nodeState``).
enum RuntimeQueries {
    static func listJobs(_ request: ByteBuffer, on stream: MuxStream) async {
        let cluster = String(buffer: request)
        guard cluster.isEmpty || JobStore.isValidCluster(cluster) else {
            try? await LogFollower.fail(stream, StreamFailure.Code.badRequest, "bad cluster name '\(cluster)'")
            return
        }
        let store = NodeRuntime.shared.store
        var records = store.records(cluster: cluster.isEmpty ? nil : cluster)
        // Jobs whose process is gone without an end recorded ended with their driver; their own
        // daemon may be about to record the end, so look again after its grace period.
        if records.contains(where: LogFollower.driverIsGone) {
            try? await Task.sleep(for: LogFollower.driverGrace)
            for (index, record) in records.enumerated() where LogFollower.driverIsGone(record) {
                let directory = JobStore.directory(cluster: record.cluster, id: record.id)
                let key = NodeRuntime.key(cluster: record.cluster, id: record.id)
                if let current = store.load(directory: directory), LogFollower.driverIsGone(current),
                    await !NodeRuntime.shared.runsStep(of: key)
                {
                    LogFollower.markDriverDead(directory: directory)
                }
                records[index] = store.load(directory: directory) ?? record
            }
        }
        for record in records {
            do { try await stream.send(.data, ByteBuffer(string: record.text)) } catch { return }
        }
        try? await stream.send(.exit, payload: ExitStatus(code: 0).payload)
    }

    static func nodeState(stream: MuxStream) async {
        let build = (try? AgentBuild.buildID()) ?? "unknown"
        let state = await NodeRuntime.shared.state(build: build)
        try? await stream.send(.data, ByteBuffer(string: state.text))
        try? await stream.send(.exit, payload: ExitStatus(code: 0).payload)
    }
}
