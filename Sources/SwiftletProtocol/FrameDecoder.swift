import NIOCore

/// Cuts a byte stream into ``Frame``s.
///
/// The length is checked against `maximumPayload` as soon as the 4 length bytes are in, so an
/// oversized frame is refused before any of its payload is buffered.
public struct FrameDecoder: NIOSingleStepByteToMessageDecoder, Sendable {
    public typealias InboundOut = Frame

    public let maximumPayload: Int

    public init(maximumPayload: Int = Frame.defaultMaximumPayload) {
        self.maximumPayload = maximumPayload
    }

    public mutating func decode(buffer: inout ByteBuffer) throws -> Frame? {
        guard let length = buffer.getInteger(at: buffer.readerIndex, as: UInt32.self) else { return nil }
        guard length >= Frame.headerBytesAfterLength else {
            throw ProtocolError(.malformedFrame, "frame length \(length) is shorter than its 5-byte header")
        }
        let payloadLength = Int(length) - Frame.headerBytesAfterLength
        guard payloadLength <= maximumPayload else {
            throw ProtocolError(
                .frameTooLarge,
                "frame of \(payloadLength) payload bytes exceeds the maximum of \(maximumPayload)"
            )
        }
        guard buffer.readableBytes >= Frame.headerBytes + payloadLength else { return nil }
        buffer.moveReaderIndex(forwardBy: 4)
        let kind = FrameKind(rawValue: buffer.readInteger(as: UInt8.self)!)
        let stream = StreamID(buffer.readInteger(as: UInt32.self)!)
        // A copy, not a slice: a slice would keep the whole read buffer alive while the frame
        // waits for its consumer, and every later read would then copy that buffer on write.
        var payload = ByteBuffer()
        payload.reserveCapacity(payloadLength)
        payload.writeImmutableBuffer(buffer.readSlice(length: payloadLength)!)
        return Frame(kind: kind, stream: stream, payload: payload)
    }

    public mutating func decodeLast(buffer: inout ByteBuffer, seenEOF: Bool) throws -> Frame? {
        if let frame = try decode(buffer: &buffer) { return frame }
        if seenEOF && buffer.readableBytes > 0 {
            throw ProtocolError(.malformedFrame, "stream ended inside a frame (\(buffer.readableBytes) bytes left)")
        }
        return nil
    }
}

/// Writes ``Frame``s as bytes.
public struct FrameEncoder: MessageToByteEncoder, Sendable {
    public typealias OutboundIn = Frame

    public init() {}

    public func encode(data frame: Frame, out: inout ByteBuffer) throws {
        out.writeFrame(frame)
    }
}

extension ByteBuffer {
    /// Appends `frame` in wire form.
    public mutating func writeFrame(_ frame: Frame) {
        writeInteger(UInt32(Frame.headerBytesAfterLength + frame.payload.readableBytes))
        writeInteger(frame.kind.rawValue)
        writeInteger(frame.stream.rawValue)
        var payload = frame.payload
        writeBuffer(&payload)
    }
}
