import NIOConcurrencyHelpers

/// A flag shared between a session's tasks: whether output still goes to the peer (cleared
/// when a send fails), whether the controller detached a process.
public final class Flag: Sendable {
    private let box: NIOLockedValueBox<Bool>

    public init(_ value: Bool) {
        box = NIOLockedValueBox(value)
    }

    public var value: Bool {
        get { box.withLockedValue { $0 } }
        set { box.withLockedValue { $0 = newValue } }
    }
}
