import Foundation

/// How to reach one node: a transport of any kind in ``InfraRegistry``.
///
/// Stored as JSON, the transport's own fields with its kind beside them:
/// `{"kind": "ssh", "host": {...}}`. Records written by builds before the registry
/// (`{"ssh": {"_0": {...}}}`, `{"local": {"home": ...}}`) still load: each kind reads its old
/// form in ``NodeTransport/init(legacy:)``.
public struct NodeAddress: Codable, Hashable, Sendable, CustomStringConvertible {
    public let transport: any NodeTransport

    public init(_ transport: some NodeTransport) {
        self.transport = transport
    }

    /// The process that runs `script` on the node: the transport's, with this process's
    /// environment under what the transport sets.
    public func launch(_ script: String, home: SwiftletHome) throws -> TransportLaunch {
        underOurEnvironment(try transport.launch(script, home: home))
    }

    /// ``NodeTransport/terminalLaunch(_:home:)``, with this process's environment under what
    /// the transport sets; nil when the transport has no terminal of its own.
    public func terminalLaunch(_ script: String, home: SwiftletHome) throws -> TransportLaunch? {
        try transport.terminalLaunch(script, home: home).map(underOurEnvironment)
    }

    private func underOurEnvironment(_ launch: TransportLaunch) -> TransportLaunch {
        var launch = launch
        launch.environment = ProcessInfo.processInfo.environment.merging(launch.environment) { _, node in node }
        return launch
    }

    /// The address other nodes reach this one at (for `SKYPILOT_NODE_IPS`).
    public var ip: String { transport.ip }

    public var description: String { transport.description }

    /// The address as JSON with sorted keys: the same node always gives the same text.
    public var canonicalJSON: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(self)).map { String(decoding: $0, as: UTF8.self) } ?? description
    }

    public static func == (lhs: NodeAddress, rhs: NodeAddress) -> Bool { lhs.canonicalJSON == rhs.canonicalJSON }

    public func hash(into hasher: inout Hasher) { hasher.combine(canonicalJSON) }

    private struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
        static let kind = Key(stringValue: "kind")
    }

    public init(from decoder: any Decoder) throws {
        let registry = InfraRegistry.standard
        let container = try decoder.container(keyedBy: Key.self)
        if let kind = try container.decodeIfPresent(String.self, forKey: .kind) {
            guard let type = registry.transport(kind) else {
                throw DecodingError.dataCorruptedError(forKey: .kind, in: container, debugDescription: "unknown transport '\(kind)'")
            }
            transport = try type.init(from: decoder)
            return
        }
        for key in container.allKeys {
            if let type = registry.transport(key.stringValue) {
                transport = try type.init(legacy: try container.superDecoder(forKey: key))
                return
            }
        }
        throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "a node address names no transport"))
    }

    public func encode(to encoder: any Encoder) throws {
        try transport.encode(to: encoder)
        var container = encoder.container(keyedBy: Key.self)
        try container.encode(type(of: transport).kind, forKey: .kind)
    }
}
