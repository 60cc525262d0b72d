import NIOCore
import SwiftletProtocol

/// Carries out what the ``ConnectionStateMachine`` decides: writes frames, runs the heartbeat
/// timer, routes stream frames to their ``MuxStream``s and wakes writers waiting for credit.
/// Confined to the channel's event loop.
final class ConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = Frame
    typealias OutboundOut = Frame

    private var stateMachine: ConnectionStateMachine
    private var context: ChannelHandlerContext?
    /// Inside a read: replies wait for its end to be flushed together.
    private var reading = false
    private var heartbeatTask: RepeatedTask?
    private let established: EventLoopPromise<(UInt16, Hello)>
    private var inbound: [StreamID: StreamInbox] = [:]
    private var creditWaiters: [StreamID: [CheckedContinuation<Void, any Error>]] = [:]
    private var creditCallbacks: [StreamID: [() -> Void]] = [:]
    private let acceptedStreams: AsyncStream<(Frame, StreamInbox)>.Continuation
    private var nextStreamID: UInt32 = 1
    private(set) var failure: ProtocolError?
    private let tickInterval: TimeAmount
    /// How the connection begins.
    enum Opening {
        /// The agent side: its hello goes out at once.
        case speaksFirst
        /// The controller: its hello follows the agent's preamble.
        case afterPreamble
        /// The handshake already happened elsewhere (a keeper's lane): no hello, only heartbeats.
        case adopted(version: UInt16, peer: Hello)
    }

    private let opening: Opening

    init(
        stateMachine: ConnectionStateMachine,
        established: EventLoopPromise<(UInt16, Hello)>,
        acceptedStreams: AsyncStream<(Frame, StreamInbox)>.Continuation,
        tickInterval: TimeAmount,
        opening: Opening
    ) {
        self.opening = opening
        self.stateMachine = stateMachine
        self.established = established
        self.acceptedStreams = acceptedStreams
        self.tickInterval = tickInterval
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func channelActive(context: ChannelHandlerContext) {
        // The agent's hello follows its preamble at once: the controller can then send its
        // hello and its first request together, one round trip sooner.
        switch opening {
        case .speaksFirst:
            startHandshake(context: context)
        case .adopted(let version, let peer):
            stateMachine.adoptHandshake(version: version, peer: peer, at: .now)
            startHeartbeat(context: context)
            established.succeed((version, peer))
        case .afterPreamble:
            break
        }
        context.fireChannelActive()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard event is PreambleHandler.PreambleExchanged else {
            context.fireUserInboundEventTriggered(event)
            return
        }
        if case .afterPreamble = opening { startHandshake(context: context) }
    }

    private func startHandshake(context: ChannelHandlerContext) {
        context.writeAndFlush(wrapOutboundOut(stateMachine.helloFrame), promise: nil)
        stateMachine.restartSilenceTimer(at: .now)
        startHeartbeat(context: context)
    }

    private func startHeartbeat(context: ChannelHandlerContext) {
        let loopBound = NIOLoopBound(self, eventLoop: context.eventLoop)
        heartbeatTask = context.eventLoop.scheduleRepeatedTask(initialDelay: tickInterval, delay: tickInterval) { _ in
            loopBound.value.tick()
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        reading = true
        perform(stateMachine.received(unwrapInboundIn(data), at: .now))
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        // The replies to a burst of frames (say, pings queued on a spare lane) leave together.
        reading = false
        context.flush()
        context.fireChannelReadComplete()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard let protocolError = error as? ProtocolError else {
            // A bootstrap responder's own error: the handshake fails with it, unchanged.
            established.fail(error)
            fail(ProtocolError(.connectionClosed, "\(error)"), notifyPeer: false)
            return
        }
        fail(protocolError, notifyPeer: true)
    }

    func channelInactive(context: ChannelHandlerContext) {
        fail(ProtocolError(.connectionClosed, "the connection to the peer closed"), notifyPeer: false)
        context.fireChannelInactive()
    }

    // MARK: Operations for PeerConnection, on the event loop.

    /// Opens a stream with an ``FrameKind/open`` frame carrying `payload` (a ``StreamOpening``);
    /// returns its id.
    func openStream(payload: ByteBuffer, inbound inbox: StreamInbox) throws -> StreamID {
        if let failure { throw failure }
        let id = StreamID(nextStreamID)
        nextStreamID += 1
        stateMachine.openedStream(id)
        inbound[id] = inbox
        write(Frame(kind: .open, stream: id, payload: payload))
        return id
    }

    func send(_ frame: Frame) throws {
        if let failure { throw failure }
        write(frame)
        if frame.kind == .eof { stateMachine.sentEOF(on: frame.stream) }
        if frame.kind == .exit || frame.kind == .reset {
            stateMachine.closedStream(frame.stream)
            finishStream(frame.stream)
        }
    }

    /// Sends as much of `bytes` as the stream's credit allows, in frames of at most
    /// `maximumChunk`; returns what is left (empty when all went out).
    func sendData(_ kind: FrameKind, _ bytes: ByteBuffer, on stream: StreamID, maximumChunk: Int) throws -> ByteBuffer {
        if let failure { throw failure }
        var remaining = bytes
        while remaining.readableBytes > 0 {
            guard let granted = stateMachine.reserveSend(on: stream, upTo: min(remaining.readableBytes, maximumChunk)) else {
                throw ProtocolError(.unexpectedFrame, "\(stream) is closed")
            }
            if granted == 0 { break }
            context?.write(wrapOutboundOut(Frame(kind: kind, stream: stream, payload: remaining.readSlice(length: granted)!)), promise: nil)
        }
        context?.flush()
        return remaining
    }

    func waitForCredit(on stream: StreamID, _ continuation: CheckedContinuation<Void, any Error>) {
        if let failure {
            continuation.resume(throwing: failure)
            return
        }
        // Credit may have arrived between the caller's last try and this call.
        guard let credit = stateMachine.sendCredit(on: stream) else {
            continuation.resume(throwing: ProtocolError(.unexpectedFrame, "\(stream) ended"))
            return
        }
        if credit > 0 {
            continuation.resume()
            return
        }
        creditWaiters[stream, default: []].append(continuation)
    }

    /// Calls `callback` on the event loop once `stream` has credit again, or the connection
    /// failed (the next ``sendData(_:_:on:maximumChunk:)`` then says so).
    func whenCredit(on stream: StreamID, _ callback: @escaping () -> Void) {
        if failure != nil || (stateMachine.sendCredit(on: stream) ?? 1) > 0 {
            callback()
            return
        }
        creditCallbacks[stream, default: []].append(callback)
    }

    func consumed(_ count: Int, on stream: StreamID) {
        if let frame = stateMachine.consumed(count, on: stream), failure == nil { write(frame) }
    }

    func close(_ error: ProtocolError) {
        fail(error, notifyPeer: true)
    }

    // MARK: Internals

    private func tick() {
        perform(stateMachine.tick(at: .now))
    }

    private func perform(_ action: ConnectionStateMachine.ReceiveAction) {
        switch action {
        case .none:
            break
        case .established(let version, let peer):
            established.succeed((version, peer))
        case .reply(let frame):
            write(frame)
        case .deliver(let frame):
            if frame.kind.opensStream {
                let inbox = StreamInbox()
                inbound[frame.stream] = inbox
                acceptedStreams.yield((frame, inbox))
            } else {
                inbound[frame.stream]?.deliver(frame)
                if frame.kind == .exit || frame.kind == .reset { finishStream(frame.stream) }
            }
        case .creditGranted(let stream):
            for waiter in creditWaiters.removeValue(forKey: stream) ?? [] { waiter.resume() }
            for callback in creditCallbacks.removeValue(forKey: stream) ?? [] { callback() }
        case .close(let error, let notifyPeer):
            fail(error, notifyPeer: notifyPeer)
        }
    }

    /// Sends `frame`: at once, or with the other replies at the end of the read in progress.
    private func write(_ frame: Frame) {
        guard reading else {
            context?.writeAndFlush(wrapOutboundOut(frame), promise: nil)
            return
        }
        context?.write(wrapOutboundOut(frame), promise: nil)
    }

    private func finishStream(_ stream: StreamID) {
        inbound.removeValue(forKey: stream)?.finish()
        for waiter in creditWaiters.removeValue(forKey: stream) ?? [] {
            waiter.resume(throwing: ProtocolError(.unexpectedFrame, "\(stream) ended"))
        }
        for callback in creditCallbacks.removeValue(forKey: stream) ?? [] { callback() }
    }

    private func fail(_ error: ProtocolError, notifyPeer: Bool) {
        guard failure == nil else { return }
        failure = error
        stateMachine.transportClosed(error)
        heartbeatTask?.cancel()
        established.fail(error)
        for (_, inbox) in inbound { inbox.finish() }
        inbound = [:]
        for waiter in creditWaiters.values.joined() { waiter.resume(throwing: error) }
        creditWaiters = [:]
        let callbacks = creditCallbacks.values.joined()
        creditCallbacks = [:]
        for callback in callbacks { callback() }
        acceptedStreams.finish()
        guard let context else { return }
        if notifyPeer {
            let channel = context.channel
            context.writeAndFlush(wrapOutboundOut(Frame(kind: .goAway, payload: error.payload)))
                .whenComplete { _ in channel.close(promise: nil) }
        } else {
            context.close(promise: nil)
        }
    }
}
