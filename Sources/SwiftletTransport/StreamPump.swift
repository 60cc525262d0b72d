import NIOCore
import NIOPosix
import SwiftletProtocol

/// Pumps what a descriptor gives (a process's stdout or stderr, a terminal, a socket, this
/// terminal's keys) into its stream on the connection's own event loop: each read goes to the
/// copy (a job's log) and out as frames at once, with no task or thread hop between. When the
/// stream's credit runs out the descriptor is not read until the peer grants more, so a slow
/// peer slows the writer (a full pipe) instead of filling memory. After the connection is lost
/// it goes on reading into the copy alone.
public final class StreamPump: ChannelInboundHandler {
    public typealias InboundIn = ByteBuffer

    private let kind: FrameKind
    private let stream: MuxStream
    private let copy: (@Sendable (ByteBuffer) -> Void)?
    private let connected: Flag
    private let drained: EventLoopPromise<Void>
    /// Bytes read but not yet sent for lack of credit.
    private var pending: ByteBuffer?
    private var inputEnded = false
    private var readSinceLastComplete = 0

    /// Starts pumping `fd` (it is the pump's, closed at its end); the future completes once it
    /// reached its end and everything read was sent (or the connection was lost). A pipe's
    /// capacity is best grown first (`PipeCapacity`): a fast writer fills it between reads.
    /// `until` completing stops the pump early (this terminal's keys, once the shell ended).
    @discardableResult
    public static func start(
        _ fd: Int32,
        as kind: FrameKind,
        to stream: MuxStream,
        copy: (@Sendable (ByteBuffer) -> Void)? = nil,
        connected: Flag = Flag(true),
        until stop: EventLoopFuture<Void>? = nil
    ) -> EventLoopFuture<Void> {
        let eventLoop = stream.eventLoop
        let drained = eventLoop.makePromise(of: Void.self)
        NIOPipeBootstrap(group: eventLoop)
            .channelOption(.recvAllocator, value: AdaptiveRecvByteBufferAllocator(minimum: 4096, initial: 65536, maximum: pipeCapacity))
            .channelOption(.autoRead, value: false)
            // One read per cycle: the pump looks at its credit before it reads again, rather than
            // piling the cycle's further reads (copied, up to a megabyte each) behind one that ran
            // out of credit.
            .channelOption(.maxMessagesPerRead, value: 1)
            .channelInitializer { channel in
                stop?.whenComplete { _ in channel.close(promise: nil) }
                return channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        StreamPump(kind: kind, stream: stream, copy: copy, connected: connected, drained: drained)
                    )
                }
            }
            .takingOwnershipOfDescriptor(input: fd)
            .whenFailure { drained.fail($0) }
        return drained.futureResult
    }

    /// While a job floods its output, its pipe is read at most this often: a program writing many
    /// small pieces (`seq` writes 4 KiB at a time) then costs one read, one log write and one
    /// frame per interval instead of per piece, on the node and on every hop to the terminal.
    static let readInterval = TimeAmount.milliseconds(1)
    /// A read at least this large (a full `stdio` buffer) means more is coming.
    static let floodRead = 4096
    static let pipeCapacity = 1 << 20

    private init(
        kind: FrameKind,
        stream: MuxStream,
        copy: (@Sendable (ByteBuffer) -> Void)?,
        connected: Flag,
        drained: EventLoopPromise<Void>
    ) {
        self.kind = kind
        self.stream = stream
        self.copy = copy
        self.connected = connected
        self.drained = drained
    }

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var bytes = unwrapInboundIn(data)
        readSinceLastComplete += bytes.readableBytes
        copy?(bytes)
        guard connected.value else { return }
        if pending != nil {
            pending!.writeBuffer(&bytes)  // read in the same cycle as the one that ran out of credit
        } else {
            send(bytes, context: context)
        }
    }

    public func channelActive(context: ChannelHandlerContext) {
        context.read()
        context.fireChannelActive()
    }

    public func channelReadComplete(context: ChannelHandlerContext) {
        defer { readSinceLastComplete = 0 }
        guard pending == nil else { return }  // waiting for credit: resume() reads again
        // A trickle (a prompt, a progress line) goes on at once; a flood waits to gather.
        guard readSinceLastComplete >= Self.floodRead else {
            context.read()
            return
        }
        let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
        context.eventLoop.scheduleTask(in: Self.readInterval) { loopBound.value.read() }
    }

    public func channelInactive(context: ChannelHandlerContext) {
        inputEnded = true
        if pending == nil { drained.succeed() }
    }

    public func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }

    private func send(_ bytes: ByteBuffer, context: ChannelHandlerContext) {
        do {
            let rest = try stream.sendOnLoop(kind, bytes)
            guard rest.readableBytes > 0 else { return }
            pending = rest
            let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
            stream.whenCreditOnLoop {
                let (pump, context) = loopBound.value
                pump.resume(context: context)
            }
        } catch {
            // The connection is gone: the log still gets everything.
            connected.value = false
            pending = nil
        }
    }

    private func resume(context: ChannelHandlerContext) {
        guard let bytes = pending else { return }
        pending = nil
        if connected.value { send(bytes, context: context) }
        guard pending == nil else { return }
        if inputEnded {
            drained.succeed()
        } else {
            context.read()
        }
    }
}
