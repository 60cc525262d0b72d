import NIOCore
import SwiftletProtocol
import SwiftletTransport

/// Answers the read-only questions about the node: its job records (``FrameKind/jobs``) and the
/// runtime's own state (``FrameKind/nodeState``).
enum RuntimeQueries {
    static func listJobs(frame: Frame, stream: MuxStream) async {
        let cluster = String(buffer: frame.payload)
        guard cluster.isEmpty || JobStore.isValidCluster(cluster) else {
            try? await LogFollower.fail(stream, StreamFailure.badRequestCode, "bad cluster name '\(cluster)'")
            return
        }
        let store = NodeRuntime.shared.store
        for var record in store.records(cluster: cluster.isEmpty ? nil : cluster) {
            // A job whose process is gone without an end recorded ended with its driver.
            if LogFollower.driverIsGone(record) {
                try? await Task.sleep(for: LogFollower.driverGrace)
                if let current = store.load(directory: JobStore.directory(cluster: record.cluster, id: record.id)),
                    LogFollower.driverIsGone(current)
                {
                    LogFollower.markDriverDead(directory: JobStore.directory(cluster: record.cluster, id: record.id))
                }
                record = store.load(directory: JobStore.directory(cluster: record.cluster, id: record.id)) ?? record
            }
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
