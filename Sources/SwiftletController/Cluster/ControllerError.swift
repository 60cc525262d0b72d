/// A user-facing failure of the controller with a complete message.
public struct ControllerError: Error, CustomStringConvertible, Sendable {
    public var message: String

    public init(_ message: String) {
        self.message = message
    }

    public var description: String { message }
}

/// A failure on one node, naming the node and the step: `node 1 (10.0.0.4): bootstrap: ...`.
public struct NodeError: Error, CustomStringConvertible, Sendable {
    public var node: String
    public var step: String
    public var message: String

    public init(node: String, step: String, _ message: String) {
        self.node = node
        self.step = step
        self.message = message
    }

    public var description: String { "\(node): \(step): \(message)" }
}
