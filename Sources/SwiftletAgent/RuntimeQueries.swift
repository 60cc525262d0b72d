import NIOCore
import SwiftletPOSIX
import SwiftletProtocol
import SwiftletTransport

/// Answers the read-only questions about the node: its job records (``FrameKind/jobs``) and the
/// runtime's own state (``FrameKind/nodeState``).
enum RuntimeQueries {
    /// A cluster's `down`: removes its job records and logs from this node, unless one of its
    /// jobs has not ended (cancel comes first).
    static func forget(_ request: ByteBuffer, on stream: MuxStream) async {
        let cluster = String(buffer: request)
        guard JobStore.isValidCluster(cluster) else {
            try? await stream.reset(.badRequest, "bad cluster name '\(cluster)'")
            return
        }
        let store = NodeRuntime.shared.store
        if let running = store.records(cluster: cluster).first(where: { !$0.state.isFinal }) {
            try? await stream.reset(.stillRunning, "job \(running.id) of '\(cluster)' is \(running.state.rawValue)")
            return
        }
        guard FileSystem.removeTree(store.home + "/.swiftlet/jobs/" + cluster) else {
            try? await stream.reset(.spawnFailed, "cannot remove the job files of '\(cluster)'")
            return
        }
        try? await stream.send(.exit, payload: ExitStatus(code: 0).payload)
    }

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
            await NodeRuntime.shared.clock.pause(for: LogFollower.driverGrace)
            for (index, record) in records.enumerated() where LogFollower.driverIsGone(record) {
                let directory = JobStore.directory(cluster: record.cluster, id: record.id)
                let key = NodeRuntime.key(cluster: record.cluster, id: record.id)
                if let current = store.load(directory: directory), LogFollower.driverIsGone(current),
                    await !NodeRuntime.shared.runsStep(of: key)
                {
                    NodeRuntime.shared.store.settleOrphan(directory: directory)
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
