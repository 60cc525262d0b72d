import NIOCore
import SwiftletProtocol
import SwiftletTransport

/// Holds a gang's rank, once the node's queue admitted it, until the controller's `go`: the
/// ranks of a multi-node job start together. Meanwhile the rank keeps what it holds, or yields
/// it to an older gang and waits again, telling the controller each time.
enum GangGate {
    enum Opening {
        /// Go: start with what the node's queue holds for the rank now.
        case go(NodeRuntime.GangStart)
        /// A signal came first (another rank failed), or the stream ended (`lost`).
        case stopped(lost: Bool)
    }

    /// Waits at the gate; stdin sent meanwhile is kept for the process, a `detach` is noted.
    static func wait(job: JobStep?, stream: MuxStream, inbound: InboundFrames, detached: Flag) async -> Opening {
        let (notices, tell) = AsyncStream.makeStream(of: NodeRuntime.GangNotice.self)
        return await withTaskGroup(of: Void.self) { group in
            // The notices go out in order, from a child that ends once the gate opens.
            group.addTask { await send(notices, on: stream) }
            defer { tell.finish() }
            return await hold(job: job, inbound: inbound, detached: detached) { tell.yield($0) }
        }
    }

    private static func hold(
        job: JobStep?,
        inbound: InboundFrames,
        detached: Flag,
        notice: @escaping @Sendable (NodeRuntime.GangNotice) -> Void
    ) async -> Opening {
        if let job { await NodeRuntime.shared.holdForGang(job.key, notice: notice) }
        notice(.admitted)
        while let frame = await inbound.nextFromStream() {
            switch frame.kind {
            case .request:
                switch try? StreamRequest(payload: frame.payload) {
                case .go:
                    guard let job else { return .go(.asAdmitted) }
                    return .go(await NodeRuntime.shared.gangStarts(job.key))
                case .signal: return .stopped(lost: false)
                case .detach: detached.value = true
                case .windowChange, .unknown, nil: continue
                }
            case .data, .eof: inbound.keep(frame)
            default: continue
            }
        }
        return .stopped(lost: true)
    }
}

extension GangGate {
    /// Tells a held gang rank's controller, in order, that the rank is admitted (`admitted`),
    /// that it yielded to an older gang (`pending`), or that it is admitted again.
    fileprivate static func send(_ notices: AsyncStream<NodeRuntime.GangNotice>, on stream: MuxStream) async {
        for await notice in notices {
            switch notice {
            case .admitted:
                try? await stream.send(.admitted)
            case .yielded:
                let reason = "waiting again: an older multi-node job needs what it held first"
                try? await stream.send(.pending, payload: ByteBuffer(string: reason))
            }
        }
    }
}
