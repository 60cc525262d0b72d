@preconcurrency import Crypto
import NIOCore
import NIOPosix
import NIOSSH
import SwiftletProtocol

/// `swiftlet proxy CLUSTER --node N`, an ssh `ProxyCommand`: an SSH server on this process's
/// stdin and stdout whose sessions run on the node through its agent's streams. ssh, scp, sftp,
/// rsync and VS Code get a real SSH server with no sshd on the node and no port open there:
/// - sessions start in the home directory, as sshd starts them (scp and rsync paths are
///   relative to it), with the job's environment (`SKYPILOT_*`, the task's envs);
/// - an `exec` runs the command with pipes (an exec stream), its exit status sent back;
/// - a `pty-req` with a `shell` or `exec` runs it on a terminal of its own (a terminal stream),
///   window changes followed;
/// - the `sftp` subsystem runs the agent's own SFTP server (`swiftlet-agent sftp-server`);
/// - `direct-tcpip` (`ssh -L`, VS Code's server) is a forward stream from the node.
///
/// The server lives here, not in the agent: swift-nio-ssh needs Foundation, which the static
/// agent leaves out (its ICU data alone would triple every upload); the SSH hop is this local
/// pipe, and the node is reached over the agent's own connection, which is encrypted and
/// authenticated as every other command's. The server accepts only the controller home's key
/// and presents the cluster's own host key, which `known_hosts` pins.
public struct SSHProxy: Sendable {
    let session: NodeSession
    /// What a shell on the node sees (`SKYPILOT_*`, the task's envs), under what the client sends.
    let environment: [String: String]
    /// The host key's 32 private bytes.
    let hostKey: [UInt8]
    let authorizedKey: NIOSSHPublicKey

    public init(session: NodeSession, environment: [String: String], hostKey: Curve25519.Signing.PrivateKey, authorizedKey: NIOSSHPublicKey)
    {
        self.session = session
        self.environment = environment
        self.hostKey = Array(hostKey.rawRepresentation)
        self.authorizedKey = authorizedKey
    }

    /// Serves SSH on `input` and `output` until the client leaves or the node's connection ends.
    public func run(input: Int32 = 0, output: Int32 = 1) async throws {
        let (hostKey, authorizedKey) = (self.hostKey, self.authorizedKey)
        let session = self.session
        let environment = self.environment
        // The client's end (ssh closing the pipe) closes the whole connection: no half-closure.
        let channel = try await NIOPipeBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let configuration = SSHServerConfiguration(
                        hostKeys: [NIOSSHPrivateKey(ed25519Key: try Curve25519.Signing.PrivateKey(rawRepresentation: hostKey))],
                        userAuthDelegate: OneKeyAuthentication(key: authorizedKey)
                    )
                    let handler = NIOSSHHandler(
                        role: .server(configuration),
                        allocator: channel.allocator,
                        inboundChildChannelInitializer: { child, type in
                            child.eventLoop.makeCompletedFuture {
                                switch type {
                                case .session:
                                    try child.pipeline.syncOperations.addHandler(
                                        SSHSessionChannel(session: session, environment: environment)
                                    )
                                case .directTCPIP(let target):
                                    try child.pipeline.syncOperations.addHandler(
                                        SSHForwardChannel(session: session, host: target.targetHost, port: target.targetPort)
                                    )
                                case .forwardedTCPIP:
                                    throw ControllerError("ssh -R is not served")
                                }
                            }
                        }
                    )
                    try channel.pipeline.syncOperations.addHandler(handler)
                    try channel.pipeline.syncOperations.addHandler(CloseOnError())
                }
            }
            .takingOwnershipOfDescriptors(input: dup(input), output: dup(output))
            .get()
        let connection = session.connection
        await withTaskGroup(of: Void.self) { group in
            group.addTask { try? await channel.closeFuture.get() }
            group.addTask { _ = await connection.closed() }
            await group.next()
            group.cancelAll()
        }
        try? await channel.close()
    }
}

/// Accepts the one public key it was given, whatever the user name.
final class OneKeyAuthentication: NIOSSHServerUserAuthenticationDelegate, Sendable {
    let key: NIOSSHPublicKey

    init(key: NIOSSHPublicKey) { self.key = key }

    var supportedAuthenticationMethods: NIOSSHAvailableUserAuthenticationMethods { .publicKey }

    func requestReceived(request: NIOSSHUserAuthenticationRequest, responsePromise: EventLoopPromise<NIOSSHUserAuthenticationOutcome>) {
        guard case .publicKey(let offered) = request.request, offered.publicKey == key else {
            responsePromise.succeed(.failure)
            return
        }
        responsePromise.succeed(.success)
    }
}

/// Ends the connection on an error in its pipeline (a client speaking nonsense).
final class CloseOnError: ChannelInboundHandler, Sendable {
    typealias InboundIn = Any

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
