import NIOCore

/// Asks the agent for a process on a pseudo-terminal of its own (`swiftlet shell`): the user's
/// login shell, or `command` through it, as the controlling terminal's session. The terminal's
/// output comes back as ``FrameKind/data`` (one stream: a terminal merges stdout and stderr),
/// input goes as data, ``StreamRequest/windowChange(rows:columns:)`` resizes it, and the stream
/// ends with ``FrameKind/exit``.
///
/// ```
/// +---------+-------------------+----------------------+-------------+----------+-------------+
/// | command | working directory | env: u32 n + n pairs | TERM string | rows u16 | columns u16 |
/// | string  | string            | of (key, value)      |             |          |             |
/// +---------+-------------------+----------------------+-------------+----------+-------------+
/// ```
/// An empty command is an interactive login shell; an empty working directory is the home.
public struct TerminalRequest: Hashable, Sendable {
    public var command: String
    public var workingDirectory: String
    public var environment: [String: String]
    public var term: String
    public var rows: UInt16
    public var columns: UInt16

    public init(
        command: String = "",
        workingDirectory: String = "",
        environment: [String: String] = [:],
        term: String,
        rows: UInt16,
        columns: UInt16
    ) {
        self.command = command
        self.workingDirectory = workingDirectory
        self.environment = environment
        self.term = term
        self.rows = rows
        self.columns = columns
    }
}

extension TerminalRequest: WireMessage {
    public init(payload: ByteBuffer) throws {
        var reader = WireReader(payload, what: "terminal")
        command = try reader.string()
        workingDirectory = try reader.string()
        environment = Dictionary(try reader.pairs(), uniquingKeysWith: { _, last in last })
        term = try reader.string()
        rows = try reader.integer()
        columns = try reader.integer()
        try reader.finish()
    }

    public func write(to buffer: inout ByteBuffer) {
        buffer.writeWireString(command)
        buffer.writeWireString(workingDirectory)
        buffer.writeWirePairs(environment.sorted { $0.key < $1.key })
        buffer.writeWireString(term)
        buffer.writeInteger(rows)
        buffer.writeInteger(columns)
    }
}

extension StreamType {
    /// A process on a pseudo-terminal: ``TerminalRequest``.
    public static let terminal = StreamType("terminal")
}
