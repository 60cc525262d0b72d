import Foundation
import NIOCore
import SwiftletPOSIX
import SwiftletProtocol
import SwiftletTask
import SwiftletTransport

#if canImport(Glibc)
    import Glibc
#endif

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

    /// What a connection is for, which decides whether it goes through the node's keeper.
    public enum Use: Sendable {
        /// Commands with pipes, SSH sessions through the proxy: relayed by the keeper.
        case pipes
        /// An interactive shell: long and busy through the agent's terminal stream, so not
        /// relayed; only a short preparation when the transport gives the terminal, so relayed.
        case terminal
        /// Forwarded ports: long and busy, not relayed.
        case forward
    }

    /// Connects to node `rank` of `cluster` for `use`; also returns what a shell there sees. A
    /// session that stays long and moves much is not relayed through the node's keeper (see
    /// ``NodeConnector/connect(to:name:relayed:uploaded:)``).
    public func connect(cluster name: String, rank: Int, for use: Use = .pipes) async throws -> (
        NodeSession, environment: [String: String]
    ) {
        guard let record = try store.load(name) else {
            throw ControllerError("no cluster '\(name)'; see 'swiftlet status'")
        }
        guard record.nodes.indices.contains(rank) else {
            throw ControllerError("cluster '\(name)' has nodes 0 to \(record.nodes.count - 1); there is no node \(rank)")
        }
        let address = record.nodes[rank]
        let relayed =
            switch use {
            case .pipes: true
            case .terminal: try hasTerminal(address)
            case .forward: false
            }
        let session = try await connector.connect(to: address, name: JobRunner.nodeName(rank: rank, node: address), relayed: relayed)
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

    /// Where an interactive `request` is best run: on a terminal of the node's transport
    /// (``NodeTransport/terminalLaunch(_:home:)``, `ssh -tt`), whose keys then cross none of our
    /// processes, when it has one and the node's agent prepares such terminals: the process to
    /// run in this one's place, on this terminal. Nil when the agent's terminal stream is to
    /// carry it (``openTerminal(_:on:)``), also when the node could not prepare it.
    public func transportTerminal(_ request: TerminalRequest, on session: NodeSession) async throws -> TransportLaunch? {
        guard session.connection.peer.capabilities.contains(StreamType.preparedTerminal.capability), try hasTerminal(session.address)
        else { return nil }
        // A node that cannot keep the request (its disk full, its run directory broken) still
        // has the agent's terminal stream, which keeps nothing on disk.
        guard let prepared = try? await Self.prepareTerminal(request, on: session) else { return nil }
        return try session.address.terminalLaunch(
            "exec " + prepared.command.map(ShellQuoting.quote).joined(separator: " "),
            home: connector.home
        )
    }

    /// Whether the node's transport has a terminal of its own (asked with a placeholder).
    private func hasTerminal(_ address: NodeAddress) throws -> Bool {
        try address.terminalLaunch("true", home: connector.home) != nil
    }

    /// Has the node's agent keep `request` for a command that starts it once (see
    /// ``PreparedTerminal``).
    public static func prepareTerminal(_ request: TerminalRequest, on session: NodeSession) async throws -> PreparedTerminal {
        let stream = try await session.connection.openStream(.preparedTerminal, request: request.payload)
        var prepared: PreparedTerminal?
        for await frame in stream.inbound {
            switch frame.kind {
            case .data:
                prepared = try PreparedTerminal(payload: frame.payload)
            case .reset:
                let failure = try? StreamFailure(payload: frame.payload)
                throw NodeError(node: session.name, step: "shell", failure?.message ?? "the node prepared no terminal")
            default:
                continue
            }
        }
        guard let prepared else {
            throw await stream.connectionFailure() ?? NodeError(node: session.name, step: "shell", "the node prepared no terminal")
        }
        return prepared
    }

    /// Joins a terminal's stream to `input` (the keys) and `output` (the screen) here, until
    /// the remote command ends; returns how it ended. Both are read and written on the
    /// connection's event loop as they come (``StreamPump``, ``StreamSink``): a keystroke and
    /// its echo cross no thread here. The descriptors are duplicated (the caller's stay open)
    /// and left non-blocking: the caller restores their flags.
    public static func attach(_ stream: MuxStream, input: Int32, output: Int32) async throws -> ExitStatus {
        let ended = stream.eventLoop.makePromise(of: ExitStatus.self)
        let showing = await StreamSink.start(dup(output), from: stream) { sink, event in
            switch event {
            case .frame(let frame) where frame.kind == .exit:
                sink.close()
                sink.afterWrites { ended.completeWith(Result { try ExitStatus(payload: frame.payload) }) }
            case .frame(let frame) where frame.kind == .reset:
                ended.completeWith(Result { throw try StreamFailure(payload: frame.payload) })
            case .ended:
                sink.close()
                Task {
                    let failure = await stream.connectionFailure()
                    ended.fail(failure ?? ProtocolError(.connectionClosed, "the terminal's stream ended without an exit status"))
                }
            case .frame, .writeFailed:
                break
            }
        }
        guard showing else { throw ControllerError("cannot write to this terminal") }
        let keys = StreamPump.start(dup(input), as: .data, to: stream, until: ended.futureResult.map { _ in })
        keys.whenSuccess { Task { try? await stream.send(.eof) } }
        return try await ended.futureResult.get()
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
