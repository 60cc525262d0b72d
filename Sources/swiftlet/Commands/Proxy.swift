import ArgumentParser
import Foundation
import SwiftletController
import UnixSignals

#if canImport(Glibc)
    import Glibc
#endif

struct Proxy: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "proxy",
        abstract: "Speak SSH on stdin and stdout for a cluster's node: ssh's ProxyCommand (see 'swiftlet ssh-config').",
        discussion: """
            ssh, scp, sftp, rsync and VS Code reach the node through its agent: no sshd and no open port on the node. \
            Only this home's key (ssh/id_ed25519) is accepted; the cluster's host key is pinned in ssh/known_hosts.
            """
    ).underSwiftlet

    @Argument(help: "The cluster.")
    var cluster: String

    @Option(help: "The node's rank (0, the head, by default).")
    var node = 0

    func run() async throws {
        let (cluster, node) = (cluster, node)
        let code = try await CommandEnvironment.reportingErrors {
            let runner = try CommandEnvironment.runner()
            let keys = SSHKeys(home: runner.home)
            let hostKey = try keys.hostKey(cluster: cluster)
            let authorized = try keys.clientPublicKey()
            let (session, environment) = try await NodeShell(connector: runner.connector).connect(cluster: cluster, rank: node)
            let proxy = SSHProxy(session: session, environment: environment, hostKey: hostKey, authorizedKey: authorized)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await proxy.run() }
                group.addTask {
                    // ssh ends its ProxyCommand with SIGHUP when it leaves.
                    for await _ in await UnixSignalsSequence(trapping: .sighup, .sigterm) { Glibc.exit(0) }
                }
                try await group.next()
                group.cancelAll()
            }
            await session.close()
            return 0
        }
        throw ExitCode(code)
    }
}

struct SSHConfig: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ssh-config",
        abstract: "Print the ssh hosts of every cluster's nodes, and the Include line ~/.ssh/config needs.",
        discussion: "'swiftlet launch' keeps $SWIFTLET_HOME/ssh/config current and adds the Include line on first use."
    ).underSwiftlet

    func run() async throws {
        let code = try await CommandEnvironment.reportingErrors {
            let config = try CommandEnvironment.refreshSSHConfig(include: false)
            Terminal.out("# In ~/.ssh/config:\n\(config.includeLine)\n\n" + (try String(contentsOfFile: config.path, encoding: .utf8)))
            return 0
        }
        throw ExitCode(code)
    }
}
