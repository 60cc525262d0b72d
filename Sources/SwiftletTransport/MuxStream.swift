import NIOCore
import SwiftletProtocol

/// One multiplexed stream of a ``PeerConnection``: frames in, frames out, with flow control
/// on ``FrameKind/data`` and ``FrameKind/stderr``.
public struct MuxStream: Sendable {
    public let id: StreamID
    let connection: PeerConnection
    private let frames: StreamInbox
    private let maximumChunk = 256 * 1024

    init(id: StreamID, connection: PeerConnection, frames: StreamInbox) {
        self.id = id
        self.connection = connection
        self.frames = frames
    }

    /// Frames from the peer, each whole. Data bytes are granted back to the peer as the
    /// iteration moves on, so a slow consumer slows the producer instead of filling memory. Ends
    /// when the stream ends or the connection is lost (then ``PeerConnection/failure()`` says
    /// why).
    public var inbound: Inbound { Inbound(inbox: frames, stream: self, joinsPieces: true) }

    /// ``inbound`` for a consumer of bytes (a process's output, a log, files): a data frame may
    /// come in pieces as it was read (see ``Frame/continues``), uncopied.
    public var inboundPieces: Inbound { Inbound(inbox: frames, stream: self, joinsPieces: false) }

    /// Hands every frame from the peer to `handler` on ``eventLoop`` as the connection reads it
    /// (nil once the stream ended), instead of ``inbound``: for a consumer that acts at once
    /// (writes a keystroke to a terminal, bytes to a socket), with no thread between. Call it on
    /// ``eventLoop``; frames that came before go first. Data frames come in pieces as they were
    /// read (see ``Frame/continues``), and their bytes are granted back to the peer only when
    /// the handler calls ``consumedOnLoop(_:)``.
    public func receiveOnLoop(_ handler: @escaping @Sendable (Frame?) -> Void) {
        frames.receiveOnLoop(handler)
    }

    /// On ``eventLoop``: `count` bytes handed to ``receiveOnLoop(_:)`` are done with (written on),
    /// so the peer may send as many more.
    public func consumedOnLoop(_ count: Int) {
        connection.consumedOnLoop(count, on: id)
    }

    /// Sends bytes as `kind` (``FrameKind/data`` or ``FrameKind/stderr``), waiting for credit.
    public func send(_ kind: FrameKind, _ bytes: ByteBuffer) async throws {
        var remaining = try await connection.sendData(kind, bytes, on: id, maximumChunk: maximumChunk)
        while remaining.readableBytes > 0 {
            try await connection.waitForCredit(on: id)
            remaining = try await connection.sendData(kind, remaining, on: id, maximumChunk: maximumChunk)
        }
    }

    /// The event loop of the stream's connection: a producer on it can use ``sendOnLoop(_:_:)``.
    public var eventLoop: any EventLoop { connection.channel.eventLoop }

    /// Sends bytes as `kind` from code on ``eventLoop``, without waiting: returns what did not
    /// fit in the stream's credit (send it after ``whenCreditOnLoop(_:)`` calls back).
    public func sendOnLoop(_ kind: FrameKind, _ bytes: ByteBuffer) throws -> ByteBuffer {
        try connection.sendDataOnLoop(kind, bytes, on: id, maximumChunk: maximumChunk)
    }

    /// On ``eventLoop``: calls `callback` there once the stream has credit again (or the
    /// connection failed: the next send then throws).
    public func whenCreditOnLoop(_ callback: @escaping () -> Void) {
        connection.whenCreditOnLoop(on: id, callback)
    }

    /// Sends a frame that carries no flow-controlled bytes (eof, started, exit, reset).
    public func send(_ kind: FrameKind, payload: ByteBuffer = ByteBuffer()) async throws {
        try await connection.send(Frame(kind: kind, stream: id, payload: payload))
    }

    /// Sends a typed request on the stream (signal, go, detach, window change).
    public func send(_ request: StreamRequest) async throws {
        try await send(.request, payload: request.payload)
    }

    /// Ends the stream with a ``FrameKind/reset`` saying why.
    public func reset(_ code: StreamFailure.Code, _ message: String) async throws {
        try await send(.reset, payload: StreamFailure(code: code, message: message).payload)
    }

    /// Why the connection under this stream ended, once it has; nil while it is up.
    public func connectionFailure() async -> ProtocolError? {
        await connection.failure()
    }

    public struct Inbound: AsyncSequence, AsyncIteratorProtocol {
        let inbox: StreamInbox
        let stream: MuxStream
        let joinsPieces: Bool
        var unacknowledged = 0

        public mutating func next() async -> Frame? {
            if unacknowledged > 0 {
                stream.connection.consumed(unacknowledged, on: stream.id)
                unacknowledged = 0
            }
            guard var frame = await inbox.next() else { return nil }
            while joinsPieces, frame.continues {
                // The pieces of one frame come one after another: nothing else is inside a frame.
                guard let piece = await inbox.next() else { return nil }
                frame.payload.writeImmutableBuffer(piece.payload)
                frame.continues = piece.continues
            }
            if frame.kind.carriesBytes { unacknowledged = frame.payload.readableBytes }
            return frame
        }

        public func makeAsyncIterator() -> Inbound { self }
    }
}
