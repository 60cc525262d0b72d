import NIOCore
import NIOPosix
import SwiftletPOSIX
import SwiftletProtocol
import SwiftletTransport

/// What comes to a process from its stream: stdin bytes and their end, and typed requests
/// (signals for its whole tree, `detach`).
enum StreamInput {
    /// Copies stdin frames to the process and carries out requests. Returns true when the
    /// connection was lost (as opposed to the stream ending normally).
    static func forwardInbound(
        _ stream: MuxStream,
        _ inbound: InboundFrames,
        stdin: Int32,
        pid: pid_t,
        detached: Flag
    ) async -> Bool {
        do {
            let channel = try await NIOPipeBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .takingOwnershipOfDescriptor(output: stdin) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        // Finishing the writer must close the pipe, so the child sees EOF.
                        try NIOAsyncChannel<ByteBuffer, ByteBuffer>(
                            wrappingChannelSynchronously: channel,
                            configuration: .init(isOutboundHalfClosureEnabled: true)
                        )
                    }
                }
            try await channel.executeThenClose { _, outbound in
                await forward(inbound, to: outbound, pid: pid, detached: detached)
            }
        } catch {
            await forward(inbound, to: nil, pid: pid, detached: detached)
        }
        return await stream.connectionFailure() != nil
    }

    private static func forward(
        _ inbound: InboundFrames,
        to stdin: NIOAsyncChannelOutboundWriter<ByteBuffer>?,
        pid: pid_t,
        detached: Flag
    ) async {
        var stdinOpen = stdin != nil
        while let frame = await inbound.next() {
            switch frame.kind {
            case .data where stdinOpen:
                // A child that closed its stdin is not an error; the bytes are dropped.
                do { try await stdin?.write(frame.payload) } catch { stdinOpen = false }
            case .eof:
                stdin?.finish()
                stdinOpen = false
            case .request:
                switch try? StreamRequest(payload: frame.payload) {
                case .signal(let number):
                    // Only real signal numbers: a peer's 2^31 must not trap, nor 0 probe.
                    if let signal = Int32(exactly: number), (1...64).contains(signal) { ProcessSpawner.signalGroup(pid, signal) }
                case .detach:
                    detached.value = true
                case .go, .windowChange, .unknown, nil:
                    break
                }
            default:
                break
            }
        }
        if stdinOpen { stdin?.finish() }
    }
}

/// A stream's inbound frames with one iterator, handed from the waiting for `go` to the stdin
/// forwarder (one reader at a time); frames kept while waiting come first.
final class InboundFrames: @unchecked Sendable {
    private var iterator: MuxStream.Inbound
    private var kept: [Frame] = []

    init(_ iterator: MuxStream.Inbound) {
        self.iterator = iterator
    }

    func keep(_ frame: Frame) { kept.append(frame) }

    /// The next frame: a kept one first.
    func next() async -> Frame? {
        if !kept.isEmpty { return kept.removeFirst() }
        return await iterator.next()
    }

    /// The next frame from the stream itself, past the kept ones.
    func nextFromStream() async -> Frame? {
        await iterator.next()
    }
}

/// A flag shared between a session's tasks: whether output still goes to the controller
/// (cleared when a send fails), whether the controller detached the process.
final class Flag: @unchecked Sendable {
    private let lock = Lock()
    private var _value: Bool

    init(_ value: Bool) {
        _value = value
    }

    var value: Bool {
        get { lock.withLock { _value } }
        set { lock.withLock { _value = newValue } }
    }
}
