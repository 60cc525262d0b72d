/// Every infra and transport this build knows: adding an infra is a folder with its provider and
/// transport, and one line in ``standard``.
public struct InfraRegistry: Sendable {
    /// One infra: how users name it and how its provider is made.
    public struct Entry: Sendable {
        public var kind: String
        /// What follows `kind/`, in capitals (`POOL`), or nil when nothing does.
        public var argumentName: String?
        /// Where the argument's values come from, for the error when it is missing.
        public var argumentHint: String?
        /// The transports its nodes are reached through, for reading stored addresses.
        public var transports: [any NodeTransport.Type]
        public var provider: @Sendable (Infra) throws -> any NodeProvider

        public var usage: String { argumentName.map { "\(kind)/\($0)" } ?? kind }
    }

    public var infras: [Entry]
    /// Transports that belong to no infra of their own: a command line given by a test, a
    /// container on a node of any infra.
    public var standaloneTransports: [any NodeTransport.Type]

    public static let standard = InfraRegistry(
        infras: [LocalInfra.entry, SSHInfra.entry],
        standaloneTransports: [CommandTransport.self, ContainerTransport.self]
    )

    public func infra(_ kind: String) -> Entry? { infras.first { $0.kind == kind } }

    public var transports: [any NodeTransport.Type] { infras.flatMap(\.transports) + standaloneTransports }

    public func transport(_ kind: String) -> (any NodeTransport.Type)? { transports.first { $0.kind == kind } }
}
