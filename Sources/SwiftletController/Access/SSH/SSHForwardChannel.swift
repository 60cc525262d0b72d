import NIOCore
import NIOSSH
import SwiftletProtocol

/// One SSH `direct-tcpip` channel (`ssh -L`, VS Code reaching its server): a forward stream
/// from the node's agent to `host:port` there, half-closes passed on both ways.
final class SSHForwardChannel: ChannelInboundHandler {
    typealias InboundIn = SSHChannelData

    private let continuation: AsyncStream<ByteBuffer?>.Continuation

    init(session: NodeSession, host: String, port: Int) {
        let (inputs, continuation) = AsyncStream.makeStream(of: ByteBuffer?.self)
        self.continuation = continuation
        self.start = { channel in
            Task { await Self.run(session: session, host: host, port: port, inputs: inputs, channel: channel) }
        }
    }

    private let start: @Sendable (any Channel) -> Void

    func handlerAdded(context: ChannelHandlerContext) {
        context.channel.setOption(ChannelOptions.allowRemoteHalfClosure, value: true).whenFailure { _ in }
        start(context.channel)
    }

    func channelInactive(context: ChannelHandlerContext) {
        continuation.finish()
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let message = unwrapInboundIn(data)
        guard case .byteBuffer(let bytes) = message.data, message.type == .channel else { return }
        continuation.yield(bytes)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case ChannelEvent.inputClosed = event {
            continuation.yield(nil)
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }

    /// Here (the client) to the node and back until both ways are closed; nil in `inputs` is
    /// the client's EOF.
    static func run(
        session: NodeSession,
        host: String,
        port: Int,
        inputs: AsyncStream<ByteBuffer?>,
        channel: any Channel
    ) async {
        guard let port = UInt16(exactly: port),
            let stream = try? await session.connection.openStream(.forward, request: ForwardRequest(host: host, port: port).payload)
        else {
            try? await channel.close()
            return
        }
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                for await bytes in inputs {
                    guard let bytes else {
                        try? await stream.send(.eof)
                        return
                    }
                    guard (try? await stream.send(.data, bytes)) != nil else { return }
                }
            }
            group.addTask {
                for await frame in stream.inboundPieces {
                    switch frame.kind {
                    case .data: try? await channel.writeAndFlush(SSHChannelData(type: .channel, data: .byteBuffer(frame.payload)))
                    case .eof: try? await channel.close(mode: .output)
                    case .exit, .reset:
                        try? await channel.close()
                        return
                    default: break
                    }
                }
                try? await channel.close()
            }
            await group.next()
            await group.next()
        }
    }
}
