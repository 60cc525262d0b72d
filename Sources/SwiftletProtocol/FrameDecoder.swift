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
        guard try bytesMissing(in: buffer) == 0, let header = header(in: buffer) else { return nil }
        buffer.moveReaderIndex(forwardBy: Frame.headerBytes)
        return Frame(kind: header.kind, stream: header.stream, payload: buffer.readSlice(length: header.payloadLength)!)
    }

    /// The kind, stream and payload length of the frame at the start of `buffer`, once its
    /// 9-byte header is in (the length unchecked: ``bytesMissing(in:)`` checks it).
    public func header(in buffer: ByteBuffer) -> (kind: FrameKind, stream: StreamID, payloadLength: Int)? {
        guard let length = buffer.getInteger(at: buffer.readerIndex, as: UInt32.self),
            let kind = buffer.getInteger(at: buffer.readerIndex + 4, as: UInt8.self),
            let stream = buffer.getInteger(at: buffer.readerIndex + 5, as: UInt32.self)
        else { return nil }
        return (FrameKind(rawValue: kind), StreamID(stream), Int(length) - Frame.headerBytesAfterLength)
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

/// Writes ``Frame``s as bytes: a payload larger than a page goes out as it is, after its
/// header, so the output of a streaming job is not copied on its way to the transport.
public final class FrameWriter: ChannelOutboundHandler, Sendable {
    public typealias OutboundIn = Frame
    public typealias OutboundOut = ByteBuffer

    /// Payloads up to this size are copied behind their header: one buffer costs less than two.
    public static let copiedPayload = 4096

    public init() {}

    public func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let frame = unwrapOutboundIn(data)
        let copied = frame.payload.readableBytes <= Self.copiedPayload
        var header = context.channel.allocator.buffer(capacity: Frame.headerBytes + (copied ? frame.payload.readableBytes : 0))
        header.writeFrameHeader(frame)
        guard !copied else {
            header.writeImmutableBuffer(frame.payload)
            context.write(wrapOutboundOut(header), promise: promise)
            return
        }
        context.write(wrapOutboundOut(header), promise: nil)
        context.write(wrapOutboundOut(frame.payload), promise: promise)
    }
}

extension ByteBuffer {
    /// Appends `frame` in wire form.
    public mutating func writeFrame(_ frame: Frame) {
        writeFrameHeader(frame)
        writeImmutableBuffer(frame.payload)
    }

    /// Appends the header of `frame`: the length, kind and stream that precede its payload.
    public mutating func writeFrameHeader(_ frame: Frame) {
        writeInteger(UInt32(Frame.headerBytesAfterLength + frame.payload.readableBytes))
        writeInteger(frame.kind.rawValue)
        writeInteger(frame.stream.rawValue)
    }
}
