import Foundation
import NIOCore
import SwiftletProtocol
import SwiftletTransport

/// Answers the bootstrap snippet: sends the agent binary when the node lacks it, and turns the
/// snippet's error lines into errors that name the node and the step.
struct AgentUploader: BootstrapResponder {
    let binary: AgentBinary
    let node: String
    /// Set when the binary was uploaded (for progress and tests).
    let uploaded: @Sendable () -> Void

    func respond(to line: BootstrapLine) throws -> ByteBuffer? {
        switch line.verb {
        case "need":
            let architecture = line.text.trimmingCharacters(in: .whitespaces)
            guard Self.sameArchitecture(architecture, binary.architecture) else {
                throw NodeError(
                    node: node,
                    step: "bootstrap",
                    "the node is \(architecture) but this swiftlet only has an \(binary.architecture) agent"
                )
            }
            guard let data = FileManager.default.contents(atPath: binary.path), data.count == binary.size else {
                throw NodeError(node: node, step: "bootstrap", "agent binary \(binary.path) changed while uploading it")
            }
            uploaded()
            return ByteBuffer(bytes: data)
        case "error":
            let parts = line.text.split(separator: " ", maxSplits: 1)
            let step = parts.first.map(String.init) ?? "bootstrap"
            let message = parts.count > 1 ? String(parts[1]) : "failed"
            throw NodeError(node: node, step: "bootstrap (\(step))", message)
        default:
            return nil
        }
    }

    static func sameArchitecture(_ a: String, _ b: String) -> Bool {
        let aliases: [String: String] = ["amd64": "x86_64", "arm64": "aarch64"]
        return (aliases[a] ?? a) == (aliases[b] ?? b)
    }
}
