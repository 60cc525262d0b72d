import NIOCore

/// A payload type with a fixed binary layout.
public protocol WireMessage: Sendable {
    init(payload: ByteBuffer) throws
    func write(to buffer: inout ByteBuffer)
}

extension WireMessage {
    /// The message's bytes, ready to be a frame's payload.
    public var payload: ByteBuffer {
        var buffer = ByteBuffer()
        write(to: &buffer)
        return buffer
    }
}
