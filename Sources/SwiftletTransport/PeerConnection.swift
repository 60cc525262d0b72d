import NIOCore
import NIOPosix
import SwiftletProtocol

/// One framed, multiplexed connection to a peer over a pair of byte-stream descriptors
/// (a pipe to `ssh`, `kubectl exec`, a local agent, or the agent's own stdin and stdout).
public struct PeerConnection: Sendable {
    /// Heartbeat timing; tests shorten it.
    public struct Timing: Sendable {
        public var heartbeatInterval: Duration
        public var silenceTimeout: Duration

        public init(heartbeatInterval: Duration = .seconds(2), silenceTimeout: Duration = .seconds(30)) {
            self.heartbeatInterval = heartbeatInterval
            self.silenceTimeout = silenceTimeout
        }
    }

    public let channel: any Channel
    private let handler: NIOLoopBound<ConnectionHandler>
    /// The agreed protocol version.
    public let version: UInt16
    /// What the peer said of itself.
    public let peer: Hello
    /// Streams the peer opened (execs, on the agent): the opening frame and the stream's inbound frames.
    public let acceptedStreams: AsyncStream<(Frame, StreamInbox)>

    /// Connects over `input` (read) and `output` (write), taking ownership of both descriptors,
    /// and completes the handshake.
    ///
    /// - Parameter bootstrapResponder: set on the controller, which answers the bootstrap
    ///   snippet and speaks only after the agent's preamble; nil on the agent.
    public static func establish(
        input: Int32,
        output: Int32,
        hello: Hello,
        bootstrapResponder: (any BootstrapResponder)? = nil,
        timing: Timing = Timing(),
        maximumPayload: Int = Frame.defaultMaximumPayload,
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) async throws -> PeerConnection {
        try await open(
            input: input,
            output: output,
            local: hello,
            opening: bootstrapResponder == nil ? .speaksFirst : .afterPreamble,
            exchangesPreambles: true,
            bootstrapResponder: bootstrapResponder,
            timing: timing,
            maximumPayload: maximumPayload,
            group: group
        )
    }

    /// Takes up a connection whose preambles and hellos another process exchanged (a spare lane
    /// a connection keeper opened): frames flow at once, with `version` and `peer` as agreed.
    public static func adopt(
        input: Int32,
        output: Int32,
        hello: Hello,
        version: UInt16,
        peer: Hello,
        timing: Timing = Timing(),
        maximumPayload: Int = Frame.defaultMaximumPayload,
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) async throws -> PeerConnection {
        try await open(
            input: input,
            output: output,
            local: hello,
            opening: .adopted(version: version, peer: peer),
            exchangesPreambles: false,
            bootstrapResponder: nil,
            timing: timing,
            maximumPayload: maximumPayload,
            group: group
        )
    }

    private static func open(
        input: Int32,
        output: Int32,
        local hello: Hello,
        opening: ConnectionHandler.Opening,
        exchangesPreambles: Bool,
        bootstrapResponder: (any BootstrapResponder)?,
        timing: Timing,
        maximumPayload: Int,
        group: any EventLoopGroup
    ) async throws -> PeerConnection {
        let (accepted, acceptedContinuation) = AsyncStream.makeStream(of: (Frame, StreamInbox).self)
        let eventLoop = group.next()
        let established = eventLoop.makePromise(of: (UInt16, Hello).self)
        let stateMachine = ConnectionStateMachine(
            local: hello,
            heartbeatInterval: timing.heartbeatInterval,
            heartbeatTimeout: timing.silenceTimeout,
            now: .now
        )
        let tick = TimeAmount.nanoseconds(
            Int64(timing.heartbeatInterval.components.seconds) * 500_000_000
                + Int64(timing.heartbeatInterval.components.attoseconds / 2_000_000_000)
        )
        let (channel, handler) = try await NIOPipeBootstrap(group: eventLoop)
            // Reads as large as the frames a streaming job sends (up to 256 KiB of output each),
            // so a frame rarely waits for a second read and its start is not moved in between.
            .channelOption(.recvAllocator, value: AdaptiveRecvByteBufferAllocator(minimum: 4096, initial: 65536, maximum: 1 << 20))
            .takingOwnershipOfDescriptors(input: input, output: output) { channel in
                channel.eventLoop.makeCompletedFuture {
                    let handler = ConnectionHandler(
                        stateMachine: stateMachine,
                        established: established,
                        acceptedStreams: acceptedContinuation,
                        tickInterval: tick,
                        opening: opening
                    )
                    if exchangesPreambles {
                        try channel.pipeline.syncOperations.addHandler(PreambleHandler(bootstrapResponder: bootstrapResponder))
                    }
                    try channel.pipeline.syncOperations.addHandlers(
                        FrameReader(maximumPayload: maximumPayload),
                        FrameWriter(),
                        handler
                    )
                    return (channel, NIOLoopBound(handler, eventLoop: channel.eventLoop))
                }
            }
        let version: UInt16
        let peer: Hello
        do {
            (version, peer) = try await established.futureResult.get()
        } catch {
            // Let the goAway that explains the failure reach the peer before anyone exits.
            try? await channel.closeFuture.get()
            throw error
        }
        return PeerConnection(channel: channel, handler: handler, version: version, peer: peer, acceptedStreams: accepted)
    }

    /// Opens a stream running `request` on the peer.
    public func openExec(_ request: ExecRequest) async throws -> MuxStream {
        try await openStream(.exec, request: request.payload)
    }

    /// Opens a stream of `type` on the peer, with `request` as what it asks for.
    public func openStream(_ type: StreamType, request: ByteBuffer) async throws -> MuxStream {
        let inbox = StreamInbox()
        let handler = self.handler
        let payload = StreamOpening(type: type, request: request).payload
        let id = try await channel.eventLoop.submit {
            try handler.value.openStream(payload: payload, inbound: inbox)
        }.get()
        return MuxStream(id: id, connection: self, frames: inbox)
    }

    /// Wraps a stream the peer opened.
    public func stream(accepting frame: Frame, frames: StreamInbox) -> MuxStream {
        MuxStream(id: frame.stream, connection: self, frames: frames)
    }

    /// Why the connection ended, once it has.
    public func failure() async -> ProtocolError? {
        let handler = self.handler
        return try? await channel.eventLoop.submit { handler.value.failure }.get()
    }

    /// Closes the connection, telling the peer why.
    public func close(_ reason: ProtocolError = ProtocolError(.connectionClosed, "closed by this side")) {
        let handler = self.handler
        channel.eventLoop.execute { handler.value.close(reason) }
    }

    /// Waits until the underlying channel has closed.
    public func closed() async {
        try? await channel.closeFuture.get()
    }

    // MARK: For MuxStream

    func send(_ frame: Frame) async throws {
        let handler = self.handler
        try await channel.eventLoop.submit { try handler.value.send(frame) }.get()
    }

    func sendData(_ kind: FrameKind, _ bytes: ByteBuffer, on stream: StreamID, maximumChunk: Int) async throws -> ByteBuffer {
        let handler = self.handler
        return try await channel.eventLoop.submit {
            try handler.value.sendData(kind, bytes, on: stream, maximumChunk: maximumChunk)
        }.get()
    }

    /// Sends flow-controlled bytes from code already on the connection's event loop; returns
    /// what did not fit in the stream's credit.
    func sendDataOnLoop(_ kind: FrameKind, _ bytes: ByteBuffer, on stream: StreamID, maximumChunk: Int) throws -> ByteBuffer {
        try handler.value.sendData(kind, bytes, on: stream, maximumChunk: maximumChunk)
    }

    /// On the connection's event loop: calls `callback` there once `stream` has credit again.
    func whenCreditOnLoop(on stream: StreamID, _ callback: @escaping () -> Void) {
        handler.value.whenCredit(on: stream, callback)
    }

    func waitForCredit(on stream: StreamID) async throws {
        let handler = self.handler
        let eventLoop = channel.eventLoop
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            eventLoop.execute { handler.value.waitForCredit(on: stream, continuation) }
        }
    }

    func consumedOnLoop(_ count: Int, on stream: StreamID) {
        handler.value.consumed(count, on: stream)
    }

    func consumed(_ count: Int, on stream: StreamID) {
        let handler = self.handler
        channel.eventLoop.execute { handler.value.consumed(count, on: stream) }
    }
}
