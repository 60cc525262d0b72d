import Foundation

/// How to reach one node: a local agent process with its own home, an SSH host, or any
/// command that runs a shell command line given as its last argument (`docker exec -i C sh -c`,
/// `kubectl exec -i POD -- sh -c`, `chroot ROOT /bin/sh -c`).
public enum NodeAddress: Codable, Hashable, Sendable, CustomStringConvertible {
    case local(home: String)
    case ssh(SSHHost)
    /// `argv` + the bootstrap snippet as one more argument; `ip` is how other nodes reach it.
    case command(argv: [String], ip: String)

    /// The address other nodes reach this one at (for `SKYPILOT_NODE_IPS`).
    public var ip: String {
        switch self {
        case .local: "127.0.0.1"
        case .ssh(let host): host.address
        case .command(_, let ip): ip
        }
    }

    /// The address as JSON with sorted keys: the same node always gives the same text.
    public var canonicalJSON: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(self)).map { String(decoding: $0, as: UTF8.self) } ?? description
    }

    public var description: String {
        switch self {
        case .local(let home): "local node \(home)"
        case .ssh(let host): host.description
        case .command(let argv, _): argv.joined(separator: " ")
        }
    }
}

/// An SSH host from a node pool or `~/.ssh/config`.
public struct SSHHost: Codable, Hashable, Sendable, CustomStringConvertible {
    /// An IP, a DNS name, or an alias from `~/.ssh/config`.
    public var address: String
    public var user: String?
    public var port: Int?
    public var identityFile: String?

    public init(address: String, user: String? = nil, port: Int? = nil, identityFile: String? = nil) {
        self.address = address
        self.user = user
        self.port = port
        self.identityFile = identityFile
    }

    public var description: String {
        (user.map { "\($0)@" } ?? "") + address + (port.map { ":\($0)" } ?? "")
    }

    /// `ssh` arguments up to and including the destination, multiplexed through a
    /// ControlMaster whose socket lives in `socketDirectory`; host keys are learned into
    /// `stateDirectory/known_hosts`. `options` come before the destination.
    public func sshArguments(stateDirectory: String, socketDirectory: String, options: [String] = []) -> [String] {
        var arguments = [
            "-T",
            "-o", "BatchMode=yes",
            "-o", "ConnectTimeout=10",
            "-o", "ServerAliveInterval=5",
            "-o", "ServerAliveCountMax=3",
            "-o", "StrictHostKeyChecking=accept-new",
            "-o", "UserKnownHostsFile=\(stateDirectory)/known_hosts ~/.ssh/known_hosts",
            "-o", "ControlMaster=auto",
            "-o", "ControlPath=\(socketDirectory)/%C",
            "-o", "ControlPersist=300",
            "-o", "LogLevel=ERROR",
        ]
        if let port { arguments += ["-p", String(port)] }
        if let identityFile { arguments += ["-i", identityFile, "-o", "IdentitiesOnly=yes"] }
        if let user { arguments += ["-l", user] }
        arguments += options
        arguments.append(address)
        return arguments
    }
}
