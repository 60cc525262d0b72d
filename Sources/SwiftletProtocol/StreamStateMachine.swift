/// One stream's life on one side of a connection, as a value: both halves open, each closed by
/// its sender's ``FrameKind/eof`` (a half-close: the other direction goes on), the whole stream
/// ended by ``FrameKind/exit`` or ``FrameKind/reset``; with the credit window of what each side
/// may still send.
///
/// ```
///            peer's eof                     our eof
///  open ───────────────▶ peer done ──────────────────▶ both done ──exit/reset──▶ (forgotten)
///   └──────our eof────▶ we are done ──peer's eof──────┘
/// ```
/// Bytes from a peer that said it was done are a protocol error: a forwarded TCP connection or a
/// process's stdin must never see data after its end.
public struct StreamStateMachine: Hashable, Sendable {
    public private(set) var credit: CreditWindow
    /// The peer sent its eof: no more bytes may come from it.
    public private(set) var peerIsDone = false
    /// This side sent its eof.
    public private(set) var isDone = false

    public init(window: UInt32 = CreditWindow.initial) {
        credit = CreditWindow(window: window)
    }

    /// `count` bytes arrived on `stream`: within the credit, and not after the peer's eof.
    public mutating func receivedBytes(_ count: Int, on stream: StreamID) throws(ProtocolError) {
        guard !peerIsDone else { throw ProtocolError(.unexpectedFrame, "bytes on \(stream) after its eof") }
        try credit.received(count)
    }

    public mutating func receivedEOF() { peerIsDone = true }

    public mutating func sentEOF() { isDone = true }

    public mutating func reserveSend(upTo wanted: Int) -> Int { credit.reserveSend(upTo: wanted) }

    public mutating func peerGranted(_ increment: UInt32) throws(ProtocolError) { try credit.peerGranted(increment) }

    public mutating func consumed(_ count: Int) -> UInt32? { credit.consumed(count) }
}
