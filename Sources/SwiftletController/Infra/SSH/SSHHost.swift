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
    public func sshArguments(stateDirectory: String, socketDirectory: String, terminal: Bool = false, options: [String] = []) -> [String] {
        var arguments = [
            terminal ? "-tt" : "-T",
            "-o", "BatchMode=yes",
            "-o", "ConnectTimeout=10",
            "-o", "ServerAliveInterval=5",
            "-o", "ServerAliveCountMax=3",
            "-o", "StrictHostKeyChecking=accept-new",
            // Quoted: ssh splits these values at spaces, and a home may have one.
            "-o", "UserKnownHostsFile=\"\(stateDirectory)/known_hosts\" ~/.ssh/known_hosts",
            "-o", "ControlMaster=auto",
            "-o", "ControlPath=\"\(socketDirectory)/%C\"",
            "-o", "ControlPersist=300",
            "-o", "LogLevel=ERROR",
        ]
        if let port { arguments += ["-p", String(port)] }
        if let identityFile { arguments += ["-i", identityFile, "-o", "IdentitiesOnly=yes"] }
        if let user { arguments += ["-l", user] }
        arguments += options
        // The destination after `--`: whatever it says, ssh never reads it as an option.
        arguments += ["--", address]
        return arguments
    }
}
