import NIOCore
import SwiftletProtocol

/// Discards the peer's noise up to its preamble, answers bootstrap lines, and sends this side's
/// preamble once the peer's has been seen (so nothing of ours is mistaken for an upload).
final class PreambleHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// Fired down the pipeline when the peer's preamble has been read and ours written.
    struct PreambleExchanged {}

    private var scanner = PreambleScanner()
    private var found = false
    private let bootstrapResponder: BootstrapResponder?

    init(bootstrapResponder: BootstrapResponder?) {
        self.bootstrapResponder = bootstrapResponder
    }

    func channelActive(context: ChannelHandlerContext) {
        // The agent speaks first so the controller can find it among banners and bootstrap lines.
        if bootstrapResponder == nil { writePreamble(context: context) }
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var buffer = unwrapInboundIn(data)
        if found {
            context.fireChannelRead(data)
            return
        }
        do {
            for event in try scanner.scan(&buffer) {
                switch event {
                case .bootstrapLine(let line):
                    try handle(line, context: context)
                case .preambleFound:
                    found = true
                    if bootstrapResponder != nil { writePreamble(context: context) }
                    context.fireUserInboundEventTriggered(PreambleExchanged())
                }
            }
        } catch {
            context.fireErrorCaught(error)
            return
        }
        if found && buffer.readableBytes > 0 {
            context.fireChannelRead(wrapInboundOut(buffer))
        }
    }

    private func handle(_ line: BootstrapLine, context: ChannelHandlerContext) throws {
        guard let bootstrapResponder else {
            throw ProtocolError(.unexpectedFrame, "unexpected bootstrap line '\(line.verb)' from the controller")
        }
        if let reply = try bootstrapResponder.respond(to: line) {
            context.writeAndFlush(wrapOutboundOut(reply), promise: nil)
        }
    }

    private func writePreamble(context: ChannelHandlerContext) {
        context.writeAndFlush(wrapOutboundOut(ByteBuffer(bytes: Preamble.bytes)), promise: nil)
    }
}

/// Answers the bootstrap snippet's lines on the controller side (e.g. uploads the agent).
public protocol BootstrapResponder: Sendable {
    /// Returns bytes to send back, or throws to abort the connection with that error.
    func respond(to line: BootstrapLine) throws -> ByteBuffer?
}
