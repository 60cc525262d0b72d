import NIOCore

/// The first frame each side sends after the preamble: who it is and which versions it speaks.
///
/// ```
/// +----------+----------+---------+----------+------+------+--------------------+
/// | min u16  | max u16  | role    | build id | os   | arch | capabilities       |
/// |          |          | string  | string   | str  | str  | u32 n + n strings  |
/// +----------+----------+---------+----------+------+------+--------------------+
/// ```
/// Strings are a u32 length and UTF-8 bytes. Later versions may append fields; readers ignore
/// bytes after the capabilities.
public struct Hello: Hashable, Sendable {
    /// The protocol versions this build speaks.
    /// Version 2: streams open with a ``StreamType`` (``FrameKind/open``), carry typed
    /// ``StreamRequest``s, and name jobs by cluster and id, never by a path on the node.
    public static let supportedVersions: ClosedRange<UInt16> = 2...2

    public var versions: ClosedRange<UInt16>
    /// `controller` or `agent`.
    public var role: String
    /// The sha256 of the sender's binary.
    public var buildID: String
    public var os: String
    public var arch: String
    public var capabilities: [String]

    public init(
        versions: ClosedRange<UInt16> = Hello.supportedVersions,
        role: String,
        buildID: String,
        os: String,
        arch: String,
        capabilities: [String] = []
    ) {
        self.versions = versions
        self.role = role
        self.buildID = buildID
        self.os = os
        self.arch = arch
        self.capabilities = capabilities
    }

    /// The highest version both sides speak, or a ``ProtocolError`` naming both ranges.
    public func negotiate(with peer: Hello) throws(ProtocolError) -> UInt16 {
        let low = max(versions.lowerBound, peer.versions.lowerBound)
        let high = min(versions.upperBound, peer.versions.upperBound)
        guard low <= high else {
            throw ProtocolError(
                .versionMismatch,
                "this \(role) speaks protocol versions \(versions.lowerBound)-\(versions.upperBound), "
                    + "the \(peer.role) (build \(peer.buildID.prefix(12))) speaks "
                    + "\(peer.versions.lowerBound)-\(peer.versions.upperBound)"
            )
        }
        return high
    }
}

extension Hello: WireMessage {
    public init(payload: ByteBuffer) throws {
        var reader = WireReader(payload, what: "hello")
        let low: UInt16 = try reader.integer()
        let high: UInt16 = try reader.integer()
        guard low <= high else { throw ProtocolError(.malformedFrame, "hello: version range \(low)-\(high) is empty") }
        self.versions = low...high
        self.role = try reader.string()
        self.buildID = try reader.string()
        self.os = try reader.string()
        self.arch = try reader.string()
        self.capabilities = try reader.strings()
    }

    public func write(to buffer: inout ByteBuffer) {
        buffer.writeInteger(versions.lowerBound)
        buffer.writeInteger(versions.upperBound)
        buffer.writeWireString(role)
        buffer.writeWireString(buildID)
        buffer.writeWireString(os)
        buffer.writeWireString(arch)
        buffer.writeWireStrings(capabilities)
    }
}
