/// An infra as a user names it: a kind from ``InfraRegistry`` and, for kinds that need one, its
/// argument (`local`, `ssh/POOL`, later `k8s/CONTEXT`, `slurm/PARTITION`). Stored in cluster
/// records as that same text.
public struct Infra: Sendable, Hashable, Codable, CustomStringConvertible {
    public let kind: String
    public let argument: String?

    /// Reads `text` against the registry: an unknown kind, or a missing argument, is an error
    /// that lists what is known.
    public init(parsing text: String, registry: InfraRegistry = .standard) throws {
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        let kind = String(parts[0])
        let argument = parts.count > 1 ? String(parts[1]) : nil
        guard let entry = registry.infra(kind) else {
            let known = registry.infras.map(\.usage).joined(separator: "' or '")
            throw ControllerError("unknown infra '\(text)': use '\(known)' (Kubernetes is not supported yet)")
        }
        switch (entry.argumentName, argument) {
        case (nil, nil): break
        case (nil, .some):
            throw ControllerError("--infra \(kind) takes no argument: use '\(kind)'")
        case (.some, nil), (.some, .some("")):
            throw ControllerError("--infra \(kind) needs \(entry.usage)\(entry.argumentHint.map { " (\($0))" } ?? "")")
        case (.some, .some): break
        }
        self.kind = kind
        self.argument = argument
    }

    /// An infra the registry is known to have (for its own entries).
    init(kind: String, argument: String? = nil) {
        self.kind = kind
        self.argument = argument
    }

    public var description: String { argument.map { "\(kind)/\($0)" } ?? kind }

    /// The provider of this infra's nodes.
    public func provider(registry: InfraRegistry = .standard) throws -> any NodeProvider {
        guard let entry = registry.infra(kind) else { throw ControllerError("unknown infra '\(self)'") }
        return try entry.provider(self)
    }

    public init(from decoder: any Decoder) throws {
        self = try Infra(parsing: try decoder.singleValueContainer().decode(String.self))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
