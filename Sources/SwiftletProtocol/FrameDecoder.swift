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
        guard try bytesMissing(in: buffer) == 0 else { return nil }
        let payloadLength = Int(buffer.readInteger(as: UInt32.self)!) - Frame.headerBytesAfterLength
        let kind = FrameKind(rawValue: buffer.readInteger(as: UInt8.self)!)
        let stream = StreamID(buffer.readInteger(as: UInt32.self)!)
        return Frame(kind: kind, stream: stream, payload: buffer.readSlice(length: payloadLength)!)
    }

    /// How many more bytes the frame at the start of `buffer` needs: 0 when it is all there
    /// (more bytes may follow), the rest of the length field while that is incomplete. Throws as
    /// soon as the length is in and out of bounds.
    public func bytesMissing(in buffer: ByteBuffer) throws -> Int {
        guard let length = buffer.getInteger(at: buffer.readerIndex, as: UInt32.self) else { return 4 - buffer.readableBytes }
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
        return max(0, Frame.headerBytes + payloadLength - buffer.readableBytes)
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
