/// A node that is an agent process on this machine with a home of its own: the snippet runs
/// under `/bin/sh` with `HOME` pointed there.
public struct LocalTransport: NodeTransport {
    public static let kind = "local"

    /// The node's home directory.
    public var home: String

    public init(home: String) {
        self.home = home
    }

    public var ip: String { "127.0.0.1" }
    public var label: String { "local" }
    public var description: String { "local node \(home)" }

    public func launch(_ script: String, home controllerHome: SwiftletHome) throws -> TransportLaunch {
        try controllerHome.ensure(home)
        return TransportLaunch(arguments: ["/bin/sh", "-c", script], environment: ["HOME": home], workingDirectory: home)
    }
}

extension NodeAddress {
    /// A local node whose home is `home`.
    public static func local(home: String) -> NodeAddress { NodeAddress(LocalTransport(home: home)) }
}
