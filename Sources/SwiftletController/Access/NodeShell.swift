import Foundation
import NIOCore
import SwiftletPOSIX
import SwiftletProtocol
import SwiftletTask

/// `swiftlet shell`: a login shell (or one command) on a cluster's node through its agent, in
/// `~/sky_workdir` with the environment a job's run sees there (`SKYPILOT_*` and the last
/// launched task's `envs`), inside the node's container when the cluster has one (its
/// transport goes there).
public struct NodeShell: Sendable {
    public let connector: NodeConnector
    public let store: ClusterStore

    public init(connector: NodeConnector) {
        self.connector = connector
        self.store = ClusterStore(home: connector.home)
    }

    /// Connects to node `rank` of `cluster`; also returns what a shell there sees.
    public func connect(cluster name: String, rank: Int) async throws -> (NodeSession, environment: [String: String]) {
        guard let record = try store.load(name) else {
            throw ControllerError("no cluster '\(name)'; see 'swiftlet status'")
        }
        guard record.nodes.indices.contains(rank) else {
            throw ControllerError("cluster '\(name)' has nodes 0 to \(record.nodes.count - 1); there is no node \(rank)")
        }
        let address = record.nodes[rank]
        let session = try await connector.connect(to: address, name: JobRunner.nodeName(rank: rank, node: address))
        let environment = TaskEnvironment(
            cluster: record.name,
            infra: record.infra.description,
            nodeIPs: record.nodes.map(\.ip),
            jobID: record.lastJobID,
            submitted: Date(),
            user: Environment.userName,
            gpusPerNode: 0
        )
        // The last task's envs, under the run's own SKYPILOT_* (as a run sees them).
        return (session, (record.taskEnvs ?? [:]).merging(environment.shell(rank: rank)) { _, ours in ours })
    }

    /// Opens a terminal on `session` running `request`.
    public static func openTerminal(_ request: TerminalRequest, on session: NodeSession) async throws -> RemoteProcess {
        guard session.connection.peer.capabilities.contains(StreamType.terminal.capability) else {
            throw NodeError(
                node: session.name,
                step: "shell",
                "the node's agent is an older build that has no terminals; relaunch the cluster"
            )
        }
        return RemoteProcess(stream: try await session.connection.openStream(.terminal, request: request.payload))
    }

    /// Runs `command` on `session` with pipes, no terminal (`shell -- CMD` when this side has
    /// none), as `ssh host CMD` does, in `directory` (`~/sky_workdir` by default).
    public static func run(
        _ command: String,
        environment: [String: String],
        in directory: String = "~/sky_workdir",
        on session: NodeSession
    ) async throws -> RemoteProcess {
        try await RemoteProcess.start(
            ExecRequest(command: command, workingDirectory: directory, environment: environment),
            on: session
        )
    }
}

extension TaskEnvironment {
    /// What an interactive shell on rank `rank` sees: a run's `SKYPILOT_*`, without a job's own.
    public func shell(rank: Int) -> [String: String] {
        var environment = run(rank: rank, task: TaskSpec())
        environment["SKYPILOT_INTERNAL_JOB_ID"] = nil
        return environment
    }
}
