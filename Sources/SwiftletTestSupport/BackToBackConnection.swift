import NIOCore
import SwiftletProtocol
import SwiftletTransport

#if canImport(Glibc)
    import Glibc
#endif

/// Two ends of one agent connection inside the test process: a controller's and an agent's,
/// joined by a pair of sockets with no process, no ssh and no shell between them. A test plays
/// the node on ``agent`` (answering the streams it accepts), and hands ``controller`` to the code
/// under test as it would a real node's connection.
public struct BackToBackConnection: Sendable {
    public let controller: PeerConnection
    public let agent: PeerConnection

    /// Opens both ends and completes their handshake. `capabilities` are what the agent end
    /// announces (by default every stream type and request a real agent serves).
    public static func open(
        capabilities: [String] = BackToBackConnection.agentCapabilities,
        // Heartbeats are not what these tests are about: a loaded suite run may hold a shared
        // event loop for seconds, which must not read as a silent peer.
        timing: PeerConnection.Timing = .init(heartbeatInterval: .seconds(2), silenceTimeout: .seconds(120))
    ) async throws -> BackToBackConnection {
        var descriptors: [Int32] = [0, 0]
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &descriptors) == 0 else {
            throw ProtocolError(.connectionClosed, "socketpair failed: errno \(errno)")
        }
        let (controllerSide, agentSide) = (descriptors[0], descriptors[1])
        async let agent = PeerConnection.establish(
            input: agentSide,
            output: dup(agentSide),
            hello: Hello(role: "agent", buildID: "in-memory", os: "linux", arch: "x86_64", capabilities: capabilities),
            timing: timing
        )
        async let controller = PeerConnection.establish(
            input: controllerSide,
            output: dup(controllerSide),
            hello: Hello(role: "controller", buildID: "in-memory", os: "linux", arch: "x86_64"),
            timing: timing
        )
        return BackToBackConnection(controller: try await controller, agent: try await agent)
    }

    /// What a real agent of this build announces.
    public static let agentCapabilities =
        [StreamType.exec, .sync, .follow, .cancel, .stop, .jobs, .forget, .nodeState].map(\.capability) + [StreamRequest.detach.capability]

    public func close() async {
        controller.close()
        agent.close()
        await controller.closed()
        await agent.closed()
    }
}
