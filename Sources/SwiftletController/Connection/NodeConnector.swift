import Dispatch
import Foundation
import NIOCore
import SwiftletPOSIX
import SwiftletProtocol
import SwiftletTransport

/// Brings a node's agent up through its transport (bootstrap) and returns the connection.
public struct NodeConnector: Sendable {
    public let home: SwiftletHome
    public let binary: AgentBinary
    public var timing: PeerConnection.Timing
    /// How long a node may take from spawning the transport to the agent's hello.
    public var handshakeTimeout: Duration
    /// When set, connections go through a ``ConnectionKeeper`` started from this executable
    /// (`swiftlet keeper`), kept for `keepAlive` after the last command.
    public var keeper: (executable: String, keepAlive: Duration)?
    /// The time retries, timeouts and follow-ups wait on (a test's manual clock in tests).
    public var clock: LoopClock = .continuous

    public init(
        home: SwiftletHome,
        binary: AgentBinary,
        timing: PeerConnection.Timing = .init(),
        handshakeTimeout: Duration = .seconds(120)
    ) {
        self.home = home
        self.binary = binary
        self.timing = timing
        self.handshakeTimeout = handshakeTimeout
    }

    /// Connects to `address`; `name` is how errors refer to the node (`node 1 (10.0.0.4)`).
    /// Goes through the node's keeper when ``keeper`` is set.
    ///
    /// - Parameter relayed: false for a session that stays long and moves much (an interactive
    ///   shell, forwarded ports): when the keeper has no spare lane ready it connects to the
    ///   node itself rather than have every frame relayed through the keeper's process.
    public func connect(
        to address: NodeAddress,
        name: String,
        relayed: Bool = true,
        uploaded: @escaping @Sendable () -> Void = {}
    ) async throws -> NodeSession {
        guard let keeper else { return try await connectDirectly(to: address, name: name, uploaded: uploaded) }
        let socket = ConnectionKeeper.socketPath(home: home, address: address)
        do {
            if let session = try await connectThroughKeeper(socket: socket, address: address, name: name, relayed: relayed) {
                return session
            }
            // A keeper of another agent build (the binary was rebuilt): it is replaced.
            ConnectionKeeper.stop(home: home, address: address)
        } catch let error as SystemError where error.errno == ENOENT || error.errno == ECONNREFUSED {
            // No keeper listens (none ran, it went, or one is still starting): one is started;
            // a keeper starting meanwhile for another command is shared, never stopped.
        } catch {
            // A keeper listens but this handshake with it failed (a loaded machine), or it
            // could only relay a session that must not be: other commands may be using it, so
            // it stays, and this command goes to the node itself.
            return try await connectDirectly(to: address, name: name, uploaded: uploaded)
        }
        try await startKeeper(keeper.executable, keepAlive: keeper.keepAlive, address: address, name: name)
        if let session = try? await connectThroughKeeper(socket: socket, address: address, name: name, relayed: relayed) {
            return session
        }
        // The keeper went between saying it was ready and this connection (it retired, or
        // another build's replaced it): this command goes to the node itself.
        return try await connectDirectly(to: address, name: name, uploaded: uploaded)
    }

    /// Runs `body` on a connection to `address` and closes it when `body` is done, whether it
    /// returned or threw: the close is awaited, never left to a task of its own.
    public func withSession<T: Sendable>(
        to address: NodeAddress,
        name: String,
        _ body: (NodeSession) async throws -> T
    ) async throws -> T {
        let session = try await connect(to: address, name: name)
        do {
            let result = try await body(session)
            await session.close()
            return result
        } catch {
            await session.close()
            throw error
        }
    }

    /// Returns nil when the keeper speaks for another agent build (the binary was rebuilt).
    private func connectThroughKeeper(socket: String, address: NodeAddress, name: String, relayed: Bool) async throws -> NodeSession? {
        let fd = try UnixSocket.connect(path: socket)
        let answer: LaneHandoff.Answer
        do {
            answer = try LaneHandoff.ask(fd)
        } catch {
            close(fd)
            throw error
        }
        let connection: PeerConnection
        switch answer {
        case .lane(let input, let output, let version, let peer):
            close(fd)
            connection = try await PeerConnection.adopt(
                input: input,
                output: output,
                hello: controllerHello,
                version: version,
                peer: peer,
                timing: timing
            )
        case .relay where !relayed:
            close(fd)
            throw RelayDeclined()
        case .relay:
            connection = try await PeerConnection.establish(
                input: fd,
                output: dup(fd),
                hello: controllerHello,
                bootstrapResponder: AgentUploader(binary: binary, node: name, uploaded: {}),
                timing: timing
            )
        }
        guard connection.peer.buildID == binary.sha256 else {
            connection.close()
            return nil
        }
        return NodeSession(name: name, address: address, connection: connection, transportPID: nil)
    }

    private func startKeeper(_ executable: String, keepAlive: Duration, address: NodeAddress, name: String) async throws {
        let socket = ConnectionKeeper.socketPath(home: home, address: address)
        try home.ensure(FileSystem.parent(of: socket))
        let arguments = [
            executable, "keeper", "--address", address.canonicalJSON, "--name", name, "--idle", String(keepAlive.components.seconds),
        ]
        try await BackgroundHelper.start(arguments, log: socket + ".log") { log in
            NodeError(node: name, step: "connect", "the connection keeper did not start: \(log)")
        }
    }

    /// Whether this controller talks to an agent that said `hello`: an agent it started must be
    /// the one it uploads; a daemon systemd runs may be another build (the agreed protocol
    /// version bridges the two).
    func serves(_ hello: Hello) -> Bool {
        hello.buildID == binary.sha256 || hello.capabilities.contains("managed-daemon")
    }

    var controllerHello: Hello {
        Hello(
            role: "controller",
            buildID: binary.sha256,
            os: SelfExecutable.operatingSystem,
            arch: SelfExecutable.machine,
            capabilities: []
        )
    }

    /// Connects through the transport itself, without a keeper.
    public func connectDirectly(to address: NodeAddress, name: String, uploaded: @escaping @Sendable () -> Void = {}) async throws
        -> NodeSession
    {
        try home.ensure(home.transportErrors)
        let stderrFile = home.transportErrors + "/stderr-\(getpid())-\(UUID().uuidString.prefix(8))"
        defer { unlink(stderrFile) }
        let pipes: ProcessSpawner.Pipes
        do {
            let launch = try transportLaunch(for: address)
            pipes = try ProcessSpawner.spawn(
                launch.arguments,
                environment: launch.environment,
                workingDirectory: launch.workingDirectory,
                stderrFile: stderrFile
            )
        } catch {
            throw NodeError(node: name, step: "connect", "\(error)")
        }
        // Registering with the reaper now means the transport never lingers as a zombie.
        let exit = TransportExit(pid: pipes.pid)
        let hello = controllerHello
        let responder = AgentUploader(binary: binary, node: name, uploaded: uploaded)
        let timing = self.timing
        do {
            let connection = try await withTimeout(handshakeTimeout, on: clock) {
                try await PeerConnection.establish(
                    input: pipes.stdout,
                    output: pipes.stdin,
                    hello: hello,
                    bootstrapResponder: responder,
                    timing: timing
                )
            }
            guard serves(connection.peer) else {
                connection.close()
                throw NodeError(
                    node: name,
                    step: "bootstrap",
                    "the agent on the node is build \(connection.peer.buildID.prefix(12)), expected \(binary.sha256.prefix(12))"
                )
            }
            return NodeSession(name: name, address: address, connection: connection, transportPID: pipes.pid)
        } catch let error as NodeError {
            kill(pipes.pid, SIGTERM)
            throw error
        } catch {
            let status = await exit.wait(upTo: .seconds(3), on: clock)
            if status == nil { kill(pipes.pid, SIGKILL) }
            let stderr = (try? String(contentsOfFile: stderrFile, encoding: .utf8)) ?? ""
            throw TransportFailure.classify(node: name, address: address, exitStatus: status, stderr: stderr, underlying: error)
        }
    }

    /// The process that runs the bootstrap snippet on `address` (a lane's asks the agent to
    /// leave a daemon of another build in place).
    func transportLaunch(for address: NodeAddress, lane: Bool = false) throws -> TransportLaunch {
        let script = BootstrapScript.render(sha256: binary.sha256, size: binary.size, lane: lane)
        return try address.launch(script, home: home)
    }
}

/// A connected node: its agent connection and the transport process carrying it.
public struct NodeSession: Sendable {
    public let name: String
    public let address: NodeAddress
    public let connection: PeerConnection
    /// The transport process, when this command started one (not through a keeper).
    public let transportPID: pid_t?

    /// Closes the connection. The transport process is left to end on its own: a local
    /// agent stays up while jobs that survive the connection still write their logs.
    public func close() async {
        connection.close()
        await connection.closed()
    }
}

/// Waits for the transport process's exit through the shared reaper.
struct TransportExit: Sendable {
    let pid: pid_t
    private let termination = Locked<ChildReaper.Termination?>(nil)

    init(pid: pid_t) {
        self.pid = pid
        let termination = self.termination
        ChildReaper.shared.onExit(of: pid) { ended in termination.withLock { $0 = ended } }
    }

    func wait(upTo limit: Duration, on clock: LoopClock) async -> ChildReaper.Termination? {
        let deadline = clock.deadline(after: limit)
        while !clock.hasPassed(deadline), !Task.isCancelled {
            if let ended = termination.withLock({ $0 }) { return ended }
            await clock.pause(for: .milliseconds(20))
        }
        return termination.withLock { $0 }
    }
}

struct TimeoutError: Error {}

func withTimeout<T: Sendable>(
    _ limit: Duration,
    on clock: LoopClock = .continuous,
    _ body: @escaping @Sendable () async throws -> T
) async throws -> T {
    try await withThrowingTaskGroup(of: T.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await clock.sleep(for: limit)
            throw TimeoutError()
        }
        defer { group.cancelAll() }
        return try await group.next()!
    }
}

/// The keeper had no spare lane for a session that is not to be relayed.
private struct RelayDeclined: Error {}
