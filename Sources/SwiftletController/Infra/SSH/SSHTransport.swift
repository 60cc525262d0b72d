import SwiftletPOSIX

/// A node reached with OpenSSH: `ssh -T` in batch mode through a ControlMaster whose sockets
/// live under `$SWIFTLET_HOME/ssh/`, asking for AES-GCM first where the CPU has AES
/// instructions (``SSHCipherPreference``). The snippet runs under the login shell as
/// `exec /bin/sh -c '<snippet>'`. An interactive `shell` runs on sshd's terminal (`-tt`).
public struct SSHTransport: NodeTransport {
    public static let kind = "ssh"

    public var host: SSHHost

    public init(host: SSHHost) {
        self.host = host
    }

    public var ip: String { host.address }
    public var label: String { host.address }
    public var description: String { host.description }

    public func launch(_ script: String, home: SwiftletHome) throws -> TransportLaunch {
        try ssh(script, terminal: false, home: home)
    }

    /// `ssh -tt` through the same ControlMaster: sshd's own terminal.
    public func terminalLaunch(_ script: String, home: SwiftletHome) throws -> TransportLaunch? {
        try ssh(script, terminal: true, home: home)
    }

    private func ssh(_ script: String, terminal: Bool, home: SwiftletHome) throws -> TransportLaunch {
        try home.ensure(home.sshControl)
        try home.ensureSSHSockets()
        let ssh = try Executables.find("ssh", install: "apt-get install openssh-client")
        let arguments = host.sshArguments(
            stateDirectory: home.sshControl,
            socketDirectory: home.sshSockets,
            terminal: terminal,
            options: SSHCipherPreference.options
        )
        return TransportLaunch(arguments: [ssh] + arguments + ["exec /bin/sh -c " + ShellQuoting.quote(script)])
    }

    /// ssh exits 255 for its own failures, and says which on stderr.
    public func classify(exitStatus: ChildReaper.Termination?, stderr: String, node: String, detail: String) -> NodeError? {
        guard exitStatus == .exited(255) else { return nil }
        let lower = stderr.lowercased()
        if lower.contains("permission denied") || lower.contains("too many authentication failures") {
            return NodeError(node: node, step: "connect", "authentication refused\(detail)")
        }
        let unreachable = [
            "connection refused", "no route to host", "timed out", "could not resolve", "network is unreachable", "connection closed",
            "connection reset",
        ]
        if unreachable.contains(where: lower.contains) {
            return NodeError(node: node, step: "connect", "host unreachable\(detail)")
        }
        return NodeError(node: node, step: "connect", "ssh failed\(detail)")
    }

    /// Earlier builds stored `{"ssh": {"_0": HOST}}`.
    public init(legacy decoder: any Decoder) throws {
        enum Legacy: String, CodingKey { case _0 }
        host = try decoder.container(keyedBy: Legacy.self).decode(SSHHost.self, forKey: ._0)
    }
}

extension NodeAddress {
    /// An SSH host.
    public static func ssh(_ host: SSHHost) -> NodeAddress { NodeAddress(SSHTransport(host: host)) }
}
