import NIOCore

/// A terminal the agent prepared for the node's transport to start on a terminal of its own
/// (`ssh -tt`), so that keys and echoes cross only the transport's processes, never the agent's:
/// the command line that starts it there. The command takes the prepared ``TerminalRequest``
/// once; a second run of it, or one after ``lifetimeSeconds``, is refused.
///
/// ```
/// +------------------------------------------+
/// | command: u32 n + n strings (its argv)    |
/// +------------------------------------------+
/// ```
public struct PreparedTerminal: Hashable, Sendable {
    /// How long a prepared terminal waits for its command.
    public static let lifetimeSeconds = 60

    public var command: [String]

    public init(command: [String]) {
        self.command = command
    }
}

extension PreparedTerminal: WireMessage {
    public init(payload: ByteBuffer) throws {
        var reader = WireReader(payload, what: "prepared terminal")
        command = try reader.strings()
        try reader.finish()
        guard !command.isEmpty else { throw ProtocolError(.malformedFrame, "prepared terminal: no command") }
    }

    public func write(to buffer: inout ByteBuffer) {
        buffer.writeWireStrings(command)
    }
}

extension StreamType {
    /// Prepares a ``TerminalRequest`` for the transport's own terminal: answered with one
    /// ``FrameKind/data`` frame holding a ``PreparedTerminal``, then ``FrameKind/exit``.
    public static let preparedTerminal = StreamType("prepared-terminal")
}
