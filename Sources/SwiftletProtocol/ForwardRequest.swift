import NIOCore

/// Asks the agent to connect to `host`:`port` from the node (`swiftlet forward`) and join that
/// TCP connection to the stream: the stream's data is written to it, what it sends comes back
/// as data, and an ``FrameKind/eof`` either way is a half-close (`shutdown(SHUT_WR)`). The
/// agent answers ``FrameKind/started`` once connected (else
/// ``StreamFailure/Code/connectFailed``) and ``FrameKind/exit`` once both ways are closed.
///
/// ```
/// +-------------+----------+
/// | host string | port u16 |
/// +-------------+----------+
/// ```
public struct ForwardRequest: Hashable, Sendable {
    public var host: String
    public var port: UInt16

    public init(host: String, port: UInt16) {
        self.host = host
        self.port = port
    }
}

extension ForwardRequest: WireMessage {
    public init(payload: ByteBuffer) throws {
        var reader = WireReader(payload, what: "forward")
        host = try reader.string()
        port = try reader.integer()
        try reader.finish()
    }

    public func write(to buffer: inout ByteBuffer) {
        buffer.writeWireString(host)
        buffer.writeInteger(port)
    }
}

extension StreamType {
    /// A TCP connection made on the node: ``ForwardRequest``.
    public static let forward = StreamType("forward")
}
