import NIOCore

/// The protocol logic of one connection, for either side: handshake, heartbeats, stream
/// bookkeeping and flow control. Pure: frames and clock readings in, actions out.
public struct ConnectionStateMachine: Sendable {
    public enum State: Sendable {
        case awaitingHello
        case established(version: UInt16, peer: Hello)
        case closed(ProtocolError)
    }

    /// What the owner must do after a frame arrived.
    public enum ReceiveAction: Sendable {
        /// The handshake completed.
        case established(version: UInt16, peer: Hello)
        /// Answer the peer (a pong).
        case reply(Frame)
        /// Hand a stream frame to the application.
        case deliver(Frame)
        /// The stream got more send credit; wake its writers.
        case creditGranted(StreamID)
        /// Nothing to do.
        case none
        /// The connection is over. Send `goAway` first when `notifyPeer` is set.
        case close(ProtocolError, notifyPeer: Bool)
    }

    public private(set) var state: State = .awaitingHello
    public let local: Hello
    private var heartbeat: HeartbeatStateMachine
    private var streams: [StreamID: StreamStateMachine] = [:]
    /// How many streams one connection may have open at once. A peer that opens more gets each
    /// extra one reset (``StreamFailure/Code/tooManyStreams``), served by nothing: a burst of
    /// thousands of opens must not become thousands of processes.
    public static let maximumStreams = 256
    private let window: UInt32
    /// How long the peer may take to answer this side's hello. Longer than a heartbeat's
    /// silence: a controller bringing many nodes up at once (uploading the agent to some) may
    /// answer late, and it waits that long for its own side of the handshake.
    public let handshakeTimeout: Duration
    private var handshakeStarted: ContinuousClock.Instant

    public init(
        local: Hello,
        window: UInt32 = CreditWindow.initial,
        heartbeatInterval: Duration = .seconds(2),
        heartbeatTimeout: Duration = .seconds(30),
        handshakeTimeout: Duration = .seconds(60),
        now: ContinuousClock.Instant
    ) {
        self.local = local
        self.window = window
        self.heartbeat = HeartbeatStateMachine(interval: heartbeatInterval, timeout: heartbeatTimeout, now: now)
        self.handshakeTimeout = max(handshakeTimeout, heartbeatTimeout)
        self.handshakeStarted = now
    }

    /// Takes up a connection whose handshake another process completed (a connection keeper's
    /// spare lane): `version` and `peer` are what that handshake agreed.
    public mutating func adoptHandshake(version: UInt16, peer: Hello, at now: ContinuousClock.Instant) {
        state = .established(version: version, peer: peer)
        heartbeat.receivedFrame(at: now)
    }

    /// The frame this side opens with.
    public var helloFrame: Frame { Frame(kind: .hello, payload: local.payload) }

    public var isEstablished: Bool {
        if case .established = state { return true }
        return false
    }

    /// Starts counting silence from `now` (the handshake begins; uploads before it do not count).
    public mutating func restartSilenceTimer(at now: ContinuousClock.Instant) {
        handshakeStarted = now
        heartbeat.receivedFrame(at: now)
    }

    /// Registers a stream this side opened (an exec it sent).
    public mutating func openedStream(_ id: StreamID) {
        streams[id] = StreamStateMachine(window: window)
    }

    /// This side sent its eof on `stream` (a half-close).
    public mutating func sentEOF(on stream: StreamID) {
        streams[stream]?.sentEOF()
    }

    /// Forgets a stream: its last frame was sent or received.
    public mutating func closedStream(_ id: StreamID) {
        streams[id] = nil
    }

    /// Takes send credit on `stream`: up to `wanted` bytes, 0 if it must wait, nil if the stream is gone.
    public mutating func reserveSend(on stream: StreamID, upTo wanted: Int) -> Int? {
        guard streams[stream] != nil else { return nil }
        return streams[stream]!.reserveSend(upTo: wanted)
    }

    /// Bytes this side may send on `stream` right now (nil: the stream is gone).
    public func sendCredit(on stream: StreamID) -> UInt32? {
        streams[stream]?.credit.sendable
    }

    /// The application consumed `count` bytes of `stream`; returns a credit frame to send, if due.
    public mutating func consumed(_ count: Int, on stream: StreamID) -> Frame? {
        guard streams[stream] != nil, let grant = streams[stream]!.consumed(count) else { return nil }
        var payload = ByteBuffer()
        payload.writeInteger(grant)
        return Frame(kind: .credit, stream: stream, payload: payload)
    }

    /// Heartbeat timer. Returns a ping to send, or the reason the connection is dead.
    public mutating func tick(at now: ContinuousClock.Instant) -> ReceiveAction {
        guard isEstablished else {
            if case .closed = state { return .none }
            let waited = handshakeStarted.duration(to: now)
            if waited >= handshakeTimeout { return fail(silent: Int(waited.components.seconds)) }
            return .none
        }
        switch heartbeat.tick(at: now) {
        case .none: return .none
        case .sendPing(let nonce):
            var payload = ByteBuffer()
            payload.writeInteger(nonce)
            return .reply(Frame(kind: .ping, payload: payload))
        case .peerSilent(let seconds): return fail(silent: seconds)
        }
    }

    public mutating func received(_ frame: Frame, at now: ContinuousClock.Instant) -> ReceiveAction {
        heartbeat.receivedFrame(at: now)
        do {
            return try handle(frame)
        } catch {
            state = .closed(error)
            return .close(error, notifyPeer: true)
        }
    }

    /// The byte stream ended or failed underneath.
    public mutating func transportClosed(_ error: ProtocolError) {
        if case .closed = state { return }
        state = .closed(error)
    }

    private mutating func fail(silent seconds: Int) -> ReceiveAction {
        let error = ProtocolError(.peerSilent, "peer sent nothing for \(seconds) s")
        state = .closed(error)
        return .close(error, notifyPeer: true)
    }

    private mutating func handle(_ frame: Frame) throws(ProtocolError) -> ReceiveAction {
        switch state {
        case .closed:
            return .none
        case .awaitingHello:
            if frame.kind == .goAway { return peerWentAway(frame) }
            guard frame.kind == .hello, frame.stream == .control else {
                throw ProtocolError(.unexpectedFrame, "expected hello, got \(frame.kind) on \(frame.stream)")
            }
            let peer: Hello
            do { peer = try Hello(payload: frame.payload) } catch let error as ProtocolError {
                throw error
            } catch {
                throw ProtocolError(.malformedFrame, "hello: \(error)")
            }
            let version = try local.negotiate(with: peer)
            state = .established(version: version, peer: peer)
            return .established(version: version, peer: peer)
        case .established:
            return try handleEstablished(frame)
        }
    }

    private mutating func handleEstablished(_ frame: Frame) throws(ProtocolError) -> ReceiveAction {
        switch frame.kind {
        case .hello:
            throw ProtocolError(.unexpectedFrame, "second hello")
        case .goAway:
            return peerWentAway(frame)
        case .ping:
            guard frame.stream == .control, frame.payload.readableBytes == 8 else {
                throw ProtocolError(.malformedFrame, "ping must carry 8 bytes on stream 0")
            }
            return .reply(Frame(kind: .pong, payload: frame.payload))
        case .pong:
            return .none
        case let kind where kind.opensStream:
            guard frame.stream != .control else { throw ProtocolError(.unexpectedFrame, "\(frame.kind) on stream 0") }
            guard streams[frame.stream] == nil else {
                throw ProtocolError(.unexpectedFrame, "\(frame.kind) on \(frame.stream), which is already open")
            }
            guard streams.count < Self.maximumStreams else {
                let failure = StreamFailure(
                    code: .tooManyStreams,
                    message: "this connection has \(Self.maximumStreams) streams open, as many as one may"
                )
                return .reply(Frame(kind: .reset, stream: frame.stream, payload: failure.payload))
            }
            streams[frame.stream] = StreamStateMachine(window: window)
            return .deliver(frame)
        case .data, .stderr:
            guard streams[frame.stream] != nil else { return .none }  // raced with the stream's end
            try streams[frame.stream]!.receivedBytes(frame.payload.readableBytes, on: frame.stream)
            return .deliver(frame)
        case .credit:
            guard frame.payload.readableBytes == 4, let increment = frame.payload.getInteger(at: frame.payload.readerIndex, as: UInt32.self)
            else {
                throw ProtocolError(.malformedFrame, "credit must carry a u32")
            }
            guard streams[frame.stream] != nil else { return .none }
            try streams[frame.stream]!.peerGranted(increment)
            return .creditGranted(frame.stream)
        case .exit, .reset:
            guard streams[frame.stream] != nil else { return .none }
            streams[frame.stream] = nil
            return .deliver(frame)
        case .eof:
            guard streams[frame.stream] != nil else { return .none }
            streams[frame.stream]!.receivedEOF()
            return .deliver(frame)
        case .started, .pending, .admitted, .request:
            guard streams[frame.stream] != nil else { return .none }
            return .deliver(frame)
        default:
            // Unknown kinds on stream 0 come from a newer peer that should not have sent them
            // after agreeing on our version.
            throw ProtocolError(.unexpectedFrame, "unknown frame \(frame.kind) on \(frame.stream)")
        }
    }

    private mutating func peerWentAway(_ frame: Frame) -> ReceiveAction {
        let error =
            (try? ProtocolError(payload: frame.payload))
            ?? ProtocolError(.malformedFrame, "peer closed the connection with an unreadable reason")
        state = .closed(error)
        return .close(error, notifyPeer: false)
    }
}
