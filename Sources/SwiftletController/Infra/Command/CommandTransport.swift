/// A node reached by any command that runs a shell command line given as its last argument:
/// `docker exec -i C /bin/sh -c`, `kubectl exec -i POD -- /bin/sh -c`, `chroot ROOT /bin/sh -c`.
///
/// With `via`, the command runs on that node rather than on this machine: its argv, the snippet
/// last, becomes the snippet `via`'s transport runs there. That is how transports compose: a
/// container on an SSH host is `docker exec -i C /bin/sh -c` via the host.
public struct CommandTransport: NodeTransport {
    public static let kind = "command"

    public var argv: [String]
    public var ip: String
    public var via: NodeAddress?

    public init(argv: [String], ip: String, via: NodeAddress? = nil) {
        self.argv = argv
        self.ip = ip
        self.via = via
    }

    public var label: String { argv.first ?? "command" }

    public var description: String {
        argv.joined(separator: " ") + (via.map { " on \($0)" } ?? "")
    }

    public func launch(_ script: String, home: SwiftletHome) throws -> TransportLaunch {
        guard let program = argv.first else { throw ControllerError("a command node needs a command") }
        if let via {
            return try via.transport.launch((argv + [script]).map(ShellQuoting.quote).joined(separator: " "), home: home)
        }
        let path = program.hasPrefix("/") ? program : try Executables.find(program)
        return TransportLaunch(arguments: [path] + argv.dropFirst() + [script])
    }
}

extension NodeAddress {
    /// A node reached by `argv` + the snippet as one more argument, on this machine or, with
    /// `via`, on another node.
    public static func command(argv: [String], ip: String, via: NodeAddress? = nil) -> NodeAddress {
        NodeAddress(CommandTransport(argv: argv, ip: ip, via: via))
    }
}
