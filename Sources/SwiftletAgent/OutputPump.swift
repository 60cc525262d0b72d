import NIOCore
import NIOPosix
import SwiftletPOSIX
import SwiftletProtocol
import SwiftletTransport

/// Forwards a process's stdout or stderr to its stream on the connection's own event loop: each
/// read goes to the job's log and out as frames at once, with no task or thread hop between. When
/// the stream's credit runs out the pipe is not read until the controller grants more, so a slow
/// controller slows the process (a full pipe) instead of filling memory. After the connection is
/// lost it goes on reading into the log alone.
final class OutputPump: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    private let kind: FrameKind
    private let stream: MuxStream
    private let log: LogFile?
    private let connected: Flag
    private let drained: EventLoopPromise<Void>
    /// Bytes read but not yet sent for lack of credit.
    private var pending: ByteBuffer?
    private var inputEnded = false
    private var readSinceLastComplete = 0

    /// Starts pumping `fd`; the future completes once it reached its end and everything read was
    /// sent (or the connection was lost).
    static func start(_ fd: Int32, as kind: FrameKind, to stream: MuxStream, log: LogFile?, connected: Flag) -> EventLoopFuture<
        Void
    > {
        let eventLoop = stream.eventLoop
        let drained = eventLoop.makePromise(of: Void.self)
        // Room for what a fast writer produces while the pump waits between reads.
        PipeCapacity.grow(fd, to: pipeCapacity)
        NIOPipeBootstrap(group: eventLoop)
            .channelOption(.recvAllocator, value: AdaptiveRecvByteBufferAllocator(minimum: 4096, initial: 65536, maximum: pipeCapacity))
            .channelOption(.autoRead, value: false)
            // One read per cycle: the pump looks at its credit before it reads again, rather than
            // piling the cycle's further reads (copied, up to a megabyte each) behind one that ran
            // out of credit.
            .channelOption(.maxMessagesPerRead, value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        OutputPump(kind: kind, stream: stream, log: log, connected: connected, drained: drained)
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
    static let pipeCapacity = PipeCapacity.large

    private init(kind: FrameKind, stream: MuxStream, log: LogFile?, connected: Flag, drained: EventLoopPromise<Void>) {
        self.kind = kind
        self.stream = stream
        self.log = log
        self.connected = connected
        self.drained = drained
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var bytes = unwrapInboundIn(data)
        readSinceLastComplete += bytes.readableBytes
        log?.append(bytes)
        guard connected.value else { return }
        if pending != nil {
            pending!.writeBuffer(&bytes)  // read in the same cycle as the one that ran out of credit
        } else {
            send(bytes, context: context)
        }
    }

    func channelActive(context: ChannelHandlerContext) {
        context.read()
        context.fireChannelActive()
    }

    func channelReadComplete(context: ChannelHandlerContext) {
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

    func channelInactive(context: ChannelHandlerContext) {
        inputEnded = true
        if pending == nil { drained.succeed() }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
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
