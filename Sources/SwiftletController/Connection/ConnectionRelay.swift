import NIOCore
import SwiftletProtocol
import SwiftletTransport

/// Relays the streams of one local client connection onto the keeper's connection to the
/// node's agent, frame for frame, with flow control on both legs.
enum ConnectionRelay {
    /// Serves `client` until it disconnects. Returns false when the node connection broke.
    static func serve(_ client: PeerConnection, upstream: PeerConnection) async -> Bool {
        await withTaskGroup(of: Void.self) { group in
            for await (frame, frames) in client.acceptedStreams {
                let clientStream = client.stream(accepting: frame, frames: frames)
                group.addTask { await relay(opening: frame, from: clientStream, to: upstream) }
            }
            client.close()
            await group.waitForAll()
        }
        return await upstream.failure() == nil
    }

    private static func relay(opening frame: Frame, from client: MuxStream, to upstream: PeerConnection) async {
        let nodeStream: MuxStream
        let opening: StreamOpening
        do {
            opening = try StreamOpening(payload: frame.payload)
            nodeStream = try await upstream.openStream(opening.type, request: opening.request)
        } catch {
            try? await client.reset(.connectionLost, "the connection to the node is lost: \(error)")
            return
        }
        let survives = opening.type == .exec && ((try? ExecRequest(payload: opening.request))?.survivesDisconnect ?? false)
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                // Towards the node: stdin, eof, requests.
                var detached = false
                for await inbound in client.inbound {
                    if inbound.kind == .request, (try? StreamRequest(payload: inbound.payload)) == .detach { detached = true }
                    try? await forward(inbound, to: nodeStream)
                }
                // The client left before the stream ended: as if its own connection had
                // dropped, the agent's rule applies (stop the process unless it survives that).
                if await client.connectionFailure() != nil, !survives, !detached {
                    try? await nodeStream.send(.signal(9))
                }
            }
            // Towards the client: started, output, exit.
            var ended = false
            for await outbound in nodeStream.inbound {
                try? await forward(outbound, to: client)
                if outbound.kind == .exit || outbound.kind == .reset { ended = true }
            }
            if !ended {
                try? await client.reset(.connectionLost, "the connection to the node was lost")
            }
            group.cancelAll()
        }
    }

    private static func forward(_ frame: Frame, to stream: MuxStream) async throws {
        if frame.kind.carriesBytes {
            try await stream.send(frame.kind, frame.payload)
        } else {
            try await stream.send(frame.kind, payload: frame.payload)
        }
    }
}
