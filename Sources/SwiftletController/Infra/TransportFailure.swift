import SwiftletPOSIX
import SwiftletProtocol

/// Turns a transport that died before the agent's hello into an error a user can act on: the
/// transport's own reading first (ssh knows its exit 255), then what any `/bin/sh` tells.
enum TransportFailure {
    static func classify(
        node: String,
        address: NodeAddress,
        exitStatus: ChildReaper.Termination?,
        stderr: String,
        underlying: any Error
    ) -> NodeError {
        let detail = stderr.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }.suffix(3).joined(
            separator: "; "
        )
        let said = detail.isEmpty ? "" : ": \(detail)"
        if underlying is TimeoutError {
            return NodeError(node: node, step: "bootstrap", "no answer from the node's agent in time\(said)")
        }
        if let named = address.transport.classify(exitStatus: exitStatus, stderr: stderr, node: node, detail: said) {
            return named
        }
        switch exitStatus {
        case .exited(127) where stderr.contains("/bin/sh") || stderr.isEmpty:
            return NodeError(node: node, step: "bootstrap", "the node has no /bin/sh\(said)")
        case .exited(126):
            return NodeError(node: node, step: "bootstrap", "cannot execute the agent (is the home directory mounted noexec?)\(said)")
        case .exited(let code):
            return NodeError(node: node, step: "bootstrap", "the agent did not start (exit \(code))\(said); \(underlying)")
        case .signaled(let signal):
            return NodeError(node: node, step: "bootstrap", "the transport was killed by signal \(signal)\(said)")
        case nil:
            return NodeError(node: node, step: "bootstrap", "\(underlying)\(said)")
        }
    }
}
