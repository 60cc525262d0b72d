/// Decides when to send a ping and when the peer has been silent too long.
///
/// Time is a plain nanosecond count supplied by the caller, so tests advance it by hand.
public struct HeartbeatStateMachine: Sendable {
    public enum Action: Hashable, Sendable {
        case none
        case sendPing(nonce: UInt64)
        case peerSilent(secondsSilent: Int)
    }

    public let interval: Duration
    public let timeout: Duration
    private var lastReceived: ContinuousClock.Instant
    private var lastPingSent: ContinuousClock.Instant
    private var lastTick: ContinuousClock.Instant
    private var nextNonce: UInt64 = 1

    /// - Parameters:
    ///   - interval: how often to ping when the connection is otherwise idle.
    ///   - timeout: silence after which the peer counts as gone.
    public init(interval: Duration = .seconds(2), timeout: Duration = .seconds(30), now: ContinuousClock.Instant) {
        self.interval = interval
        self.timeout = timeout
        self.lastReceived = now
        self.lastPingSent = now
        self.lastTick = now
    }

    /// Any frame from the peer proves it alive.
    public mutating func receivedFrame(at now: ContinuousClock.Instant) {
        lastReceived = now
    }

    /// Called periodically (at least every `interval / 2`).
    public mutating func tick(at now: ContinuousClock.Instant) -> Action {
        defer { lastTick = now }
        // This side did not run for a while (a starved event loop, a laptop that slept): the
        // peer's frames may be waiting unread, so its silence is measured afresh from now.
        if lastTick.duration(to: now) > interval * 2 {
            lastReceived = now
        }
        let silence = lastReceived.duration(to: now)
        if silence >= timeout {
            return .peerSilent(secondsSilent: Int(silence.components.seconds))
        }
        if lastPingSent.duration(to: now) >= interval {
            lastPingSent = now
            defer { nextNonce &+= 1 }
            return .sendPing(nonce: nextNonce)
        }
        return .none
    }
}
