import NIOCore

/// Cuts a connection's bytes into ``Frame``s without copying them: a payload is a slice of the
/// buffer it was read into.
///
/// A ``FrameKind/data`` or ``FrameKind/stderr`` frame that a read ends inside is handed on in
/// pieces, one per read, each marked ``Frame/continues`` but the last: a streaming job's frames
/// (up to 256 KiB) arrive in reads of 32-64 KiB from ssh, and gathering them copied nearly every
/// byte of its output once more. Any other frame that a read ends inside is gathered into a
/// buffer of its own, as is a header cut in two.
///
/// (NIO's `ByteToMessageHandler` appends every read to one buffer, which copies each byte once
/// more, and copies that whole buffer again on write while frames still hold slices of it.)
public final class FrameReader: ChannelInboundHandler, RemovableChannelHandler {
    public typealias InboundIn = ByteBuffer
    public typealias InboundOut = Frame

    /// Inside the payload of a data frame whose earlier pieces went on.
    private struct PayloadLeft {
        var kind: FrameKind
        var stream: StreamID
        var bytes: Int
    }

    private let decoder: FrameDecoder
    /// The start of a frame that the last read ended inside (of a data frame, its header only).
    private var partial: ByteBuffer?
    private var payloadLeft: PayloadLeft?
    /// After a malformed frame nothing more is read: the connection is failing.
    private var failed = false

    public init(maximumPayload: Int = Frame.defaultMaximumPayload) {
        decoder = FrameDecoder(maximumPayload: maximumPayload)
    }

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var bytes = unwrapInboundIn(data)
        do {
            while !failed, bytes.readableBytes > 0 {
                if var left = payloadLeft {
                    let piece = bytes.readSlice(length: min(left.bytes, bytes.readableBytes))!
                    left.bytes -= piece.readableBytes
                    payloadLeft = left.bytes > 0 ? left : nil
                    context.fireChannelRead(
                        wrapInboundOut(Frame(kind: left.kind, stream: left.stream, payload: piece, continues: left.bytes > 0))
                    )
                } else if var started = partial {
                    // Only what completes the frame (of a data frame: its header) moves in.
                    let missing = try bytesMissing(in: started)
                    started.writeImmutableBuffer(bytes.readSlice(length: min(missing, bytes.readableBytes))!)
                    partial = started
                    guard try bytesMissing(in: started) == 0 else { continue }
                    partial = nil
                    try deliver(from: &started, context: context)
                } else {
                    try deliver(from: &bytes, context: context)
                    guard bytes.readableBytes > 0 else { return }
                    var own = context.channel.allocator.buffer(capacity: bytes.readableBytes + (try bytesMissing(in: bytes)))
                    own.writeImmutableBuffer(bytes)
                    partial = own
                    return
                }
            }
        } catch {
            failed = true
            partial = nil
            context.fireErrorCaught(error)
        }
    }

    public func channelInactive(context: ChannelHandlerContext) {
        reportUnfinishedFrame(context: context)
        context.fireChannelInactive()
    }

    public func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case .inputClosed = event as? ChannelEvent { reportUnfinishedFrame(context: context) }
        context.fireUserInboundEventTriggered(event)
    }

    /// Hands on the whole frames at the start of `buffer`, then, when `buffer` ends inside a data
    /// frame whose header is in, the payload it holds as that frame's first piece.
    private func deliver(from buffer: inout ByteBuffer, context: ChannelHandlerContext) throws {
        var decoder = self.decoder
        while !failed, let frame = try decoder.decode(buffer: &buffer) {
            context.fireChannelRead(wrapInboundOut(frame))
        }
        guard !failed, buffer.readableBytes >= Frame.headerBytes, let header = decoder.header(in: buffer), header.kind.carriesBytes else {
            return
        }
        buffer.moveReaderIndex(forwardBy: Frame.headerBytes)
        let piece = buffer.readSlice(length: buffer.readableBytes)!
        payloadLeft = PayloadLeft(kind: header.kind, stream: header.stream, bytes: header.payloadLength - piece.readableBytes)
        guard piece.readableBytes > 0 else { return }
        context.fireChannelRead(wrapInboundOut(Frame(kind: header.kind, stream: header.stream, payload: piece, continues: true)))
    }

    /// What the frame at the start of `buffer` still needs before it can be handed on: its
    /// header first, then (unless it is a data frame) the rest of it.
    private func bytesMissing(in buffer: ByteBuffer) throws -> Int {
        let missing = try decoder.bytesMissing(in: buffer)
        guard buffer.readableBytes < Frame.headerBytes else {
            return decoder.header(in: buffer)?.kind.carriesBytes == true ? 0 : missing
        }
        return buffer.readableBytes < 4 ? missing : Frame.headerBytes - buffer.readableBytes
    }

    private func reportUnfinishedFrame(context: ChannelHandlerContext) {
        guard !failed else { return }
        let state: String
        if let payloadLeft {
            state = "\(payloadLeft.bytes) bytes of its payload missing"
        } else if let partial {
            state = "\(partial.readableBytes) bytes of it read"
        } else {
            return
        }
        failed = true
        partial = nil
        payloadLeft = nil
        context.fireErrorCaught(ProtocolError(.malformedFrame, "stream ended inside a frame (\(state))"))
    }
}
