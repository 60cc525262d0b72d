import NIOCore
import SwiftletProtocol
import SwiftletTestSupport
import SwiftletTransport
import Testing

/// One connection may not open streams without bound: the extra ones are refused, each with
/// a clear reason, and the connection goes on.
@Suite struct StreamLimitTests {
    @Test func streamsBeyondTheLimitAreRefusedAndTheConnectionGoesOn() async throws {
        let link = try await BackToBackConnection.open()
        // The agent's end takes every stream and leaves it open.
        var held: [MuxStream] = []
        let accepting = Task {
            var count = 0
            for await (frame, frames) in link.agent.acceptedStreams {
                _ = link.agent.stream(accepting: frame, frames: frames)
                count += 1
            }
            return count
        }
        let limit = ConnectionStateMachine.maximumStreams
        for _ in 0..<(limit + 20) {
            held.append(try await link.controller.openStream(.exec, request: ExecRequest(command: "true").payload))
        }
        var refused: [StreamFailure] = []
        for stream in held.suffix(20) {
            for await frame in stream.inbound where frame.kind == .reset { refused.append(try StreamFailure(payload: frame.payload)) }
        }
        #expect(refused.count == 20)
        #expect(refused.allSatisfy { $0.code == .tooManyStreams })
        #expect(refused.first?.message == "this connection has \(limit) streams open, as many as one may")
        #expect(await link.controller.failure() == nil, "the connection is still up")
        await link.close()
        #expect(await accepting.value == limit)
    }
}
