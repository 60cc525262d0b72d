import NIOCore

/// Cuts a connection's bytes into ``Frame``s without copying them: a payload is a slice of the
/// buffer it was read into, and only a frame that a read ends inside is gathered, into a buffer
/// of its own.
///
/// (NIO's `ByteToMessageHandler` appends every read to one buffer, which copies each byte once
/// more, and copies that whole buffer again on write while frames still hold slices of it: a
/// streaming job's output crossed memory three times before it was shown.)
public final class FrameReader: ChannelInboundHandler, RemovableChannelHandler {
    public typealias InboundIn = ByteBuffer
    public typealias InboundOut = Frame

    private let decoder: FrameDecoder
    /// The start of a frame that the last read ended inside.
    private var partial: ByteBuffer?
    /// After a malformed frame nothing more is read: the connection is failing.
    private var failed = false

    public init(maximumPayload: Int = Frame.defaultMaximumPayload) {
        decoder = FrameDecoder(maximumPayload: maximumPayload)
    }

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !failed else { return }
        var bytes = unwrapInboundIn(data)
        do {
            if var started = partial {
                // Only what completes the frame moves into its buffer.
                while case let missing = try decoder.bytesMissing(in: started), missing > 0 {
                    guard let piece = bytes.readSlice(length: min(missing, bytes.readableBytes)), piece.readableBytes > 0 else {
                        partial = started
                        return
                    }
                    started.writeImmutableBuffer(piece)
                }
                partial = nil
                try deliver(from: &started, context: context)
            }
            try deliver(from: &bytes, context: context)
            if bytes.readableBytes > 0 {
                let room = bytes.readableBytes + ((try? decoder.bytesMissing(in: bytes)) ?? 0)
                var own = context.channel.allocator.buffer(capacity: room)
                own.writeImmutableBuffer(bytes)
                partial = own
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

    private func deliver(from buffer: inout ByteBuffer, context: ChannelHandlerContext) throws {
        var decoder = self.decoder
        while !failed, let frame = try decoder.decode(buffer: &buffer) {
            context.fireChannelRead(wrapInboundOut(frame))
        }
    }

    private func reportUnfinishedFrame(context: ChannelHandlerContext) {
        guard let partial, !failed else { return }
        failed = true
        self.partial = nil
        context.fireErrorCaught(
            ProtocolError(.malformedFrame, "stream ended inside a frame (\(partial.readableBytes) bytes left)")
        )
    }
}
