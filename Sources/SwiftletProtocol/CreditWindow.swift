/// Flow-control bookkeeping for one stream, one direction each way.
///
/// A sender may have at most `window` bytes in flight per stream; the receiver grants more with
/// ``FrameKind/credit`` frames as its consumer drains what arrived.
public struct CreditWindow: Hashable, Sendable {
    /// Bytes a stream may carry before the first credit frame, in each direction.
    public static let initial: UInt32 = 1 << 20

    /// Bytes this side may still send.
    public private(set) var sendable: UInt32
    /// Bytes the peer may still send before it must wait.
    public private(set) var receivable: UInt32
    /// Bytes consumed locally and not yet granted back to the peer.
    private var consumedUngranted: UInt32 = 0
    private let window: UInt32

    public init(window: UInt32 = CreditWindow.initial) {
        self.window = window
        self.sendable = window
        self.receivable = window
    }

    /// Takes up to `wanted` bytes of send credit; returns how many were taken (maybe 0).
    public mutating func reserveSend(upTo wanted: Int) -> Int {
        let granted = min(UInt32(clamping: wanted), sendable)
        sendable -= granted
        return Int(granted)
    }

    /// The peer granted `increment` more bytes. Overflow past 2^32-1 is a protocol error.
    public mutating func peerGranted(_ increment: UInt32) throws(ProtocolError) {
        let (sum, overflow) = sendable.addingReportingOverflow(increment)
        guard !overflow else { throw ProtocolError(.flowControlViolated, "credit window overflowed") }
        sendable = sum
    }

    /// `count` bytes arrived from the peer.
    public mutating func received(_ count: Int) throws(ProtocolError) {
        guard count <= Int(receivable) else {
            throw ProtocolError(
                .flowControlViolated,
                "peer sent \(count) bytes with only \(receivable) bytes of credit"
            )
        }
        receivable -= UInt32(count)
    }

    /// The local consumer finished with `count` bytes. Returns the credit to grant the peer now,
    /// if enough has accumulated to be worth a frame.
    public mutating func consumed(_ count: Int) -> UInt32? {
        consumedUngranted += UInt32(clamping: count)
        guard consumedUngranted >= window / 2 else { return nil }
        let grant = consumedUngranted
        consumedUngranted = 0
        receivable += grant
        return grant
    }
}
