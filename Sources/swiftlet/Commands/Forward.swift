import ArgumentParser
import SwiftletController
import SwiftletPOSIX

struct Forward: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "forward",
        abstract: "Forward local TCP ports to a node's, through its agent (no sshd, no open port on the node).",
        discussion: """
            Each LOCAL:REMOTE listens on 127.0.0.1:LOCAL here and connects to 127.0.0.1:REMOTE from the node \
            (LOCAL:HOST:REMOTE connects to HOST:REMOTE instead; LOCAL 0 picks a free port). Runs until Ctrl-C.
            """
    ).underSwiftlet

    @Argument(help: "The cluster.")
    var cluster: String

    @Argument(help: "LOCAL:REMOTE or LOCAL:HOST:REMOTE, one or more.")
    var mappings: [String]

    @Option(help: "The node's rank (0, the head, by default).")
    var node = 0

    @Option(help: "The address to listen on here.")
    var address = "127.0.0.1"

    func run() async throws {
        let (cluster, node, address, texts) = (cluster, node, address, mappings)
        let code = try await CommandEnvironment.reportingErrors {
            let mappings = try texts.map(PortForwarder.Mapping.init(parsing:))
            let runner = try CommandEnvironment.runner()
            let (session, _) = try await NodeShell(connector: runner.connector).connect(cluster: cluster, rank: node, for: .forward)
            let forwarder = PortForwarder(session: session, bindAddress: address)
            let store = ClusterStore(home: runner.connector.home)
            let clock = runner.connector.clock
            let tornDown = Locked(false)
            try await InterruptPolicy.leave.run {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask {
                        try await forwarder.run(mappings) { mapping, port in
                            Terminal.err("Forwarding \(address):\(port) to \(mapping) on \(session.name).\n")
                        }
                    }
                    group.addTask {
                        // `down` ends the forwarding too (the node's agent may outlive the
                        // cluster): closing the connection ends every forwarded connection.
                        while (try? store.load(cluster)) != nil, !Task.isCancelled { await clock.pause(for: .seconds(1)) }
                        guard !Task.isCancelled else { return }
                        tornDown.withLock { $0 = true }
                        await session.close()
                    }
                    try await group.next()
                    group.cancelAll()
                }
            }
            await session.close()
            if tornDown.withLock({ $0 }) {
                Terminal.err("The cluster '\(cluster)' was torn down; forwarding stopped.\n")
                return 0
            }
            Terminal.err("The connection to \(session.name) was lost; forwarding stopped.\n")
            return 255
        }
        throw ExitCode(code)
    }
}
