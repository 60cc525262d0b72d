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
        taskID: String?,
        detached: Flag
    ) async -> Bool {
        let channel = try? await NIOPipeBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .takingOwnershipOfDescriptor(output: stdin).get()
        if channel == nil { close(stdin) }  // NIO did not take it: still ours to close
        await forward(inbound, to: channel, pid: pid, taskID: taskID, detached: detached)
        return await stream.connectionFailure() != nil
    }

    /// Writes each stdin frame to the process's pipe, in order, and closes the pipe once the
    /// last of them is written, however slowly the process reads: the end of stdin must never
    /// cut bytes still on their way (closing the channel's output drops writes it has not done).
    /// While the pipe is full the next frame waits, so the controller's credit window holds
    /// back what it sends; requests behind it wait too.
    private static func forward(
        _ inbound: InboundFrames,
        to stdin: (any Channel)?,
        pid: pid_t,
        taskID: String?,
        detached: Flag
    ) async {
        var lastWrite: EventLoopFuture<Void>?
        var stdinOpen = stdin != nil
        func closeStdin() {
            guard stdinOpen, let stdin else { return }
            stdinOpen = false
            let written = lastWrite ?? stdin.eventLoop.makeSucceededVoidFuture()
            // Written or failed (a child that closed its stdin is not an error): close either way.
            written.whenComplete { _ in stdin.close(promise: nil) }
        }
        while let frame = await inbound.next() {
            switch frame.kind {
            case .data where stdinOpen:
                guard let stdin else { continue }
                let written = stdin.eventLoop.makePromise(of: Void.self)
                stdin.writeAndFlush(frame.payload, promise: written)
                lastWrite = written.futureResult
                if !stdin.isWritable { try? await written.futureResult.get() }
            case .eof:
                closeStdin()
            case .request:
                switch try? StreamRequest(payload: frame.payload) {
                case .signal(let number):
                    // Only real signal numbers: a peer's 2^31 must not trap, nor 0 probe.
                    guard let signal = Int32(exactly: number), (1...64).contains(signal) else { break }
                    ProcessSpawner.signalGroup(pid, signal)
                    // Stopping a job (a gang's kill) reaches the processes that left its group too.
                    if signal == SIGKILL || signal == SIGTERM, let taskID, !taskID.isEmpty {
                        for escaped in ProcessTable.pids(withEnvironmentEntry: "SKYPILOT_TASK_ID=\(taskID)") { kill(escaped, signal) }
                    }
                case .detach:
                    detached.value = true
                case .go, .windowChange, .unknown, nil:
                    break
                }
            default:
                break
            }
        }
        closeStdin()
    }
}

/// A stream's inbound frames with one iterator, handed from the waiting for `go` to the stdin
/// forwarder; frames kept while waiting come first.
///
/// Unchecked because an async iterator cannot sit behind a lock across its `await`: it has one
/// reader at a time by construction (the gate reads until it opens, then the forwarder starts),
/// and the frames kept meanwhile are behind a lock.
final class InboundFrames: @unchecked Sendable {
    private var iterator: MuxStream.Inbound
    private let kept = Locked([Frame]())

    init(_ iterator: MuxStream.Inbound) {
        self.iterator = iterator
    }

    func keep(_ frame: Frame) { kept.withLock { $0.append(frame) } }

    /// The next frame: a kept one first.
    func next() async -> Frame? {
        if let frame = kept.withLock({ $0.isEmpty ? nil : $0.removeFirst() }) { return frame }
        return await iterator.next()
    }

    /// The next frame from the stream itself, past the kept ones.
    func nextFromStream() async -> Frame? {
        await iterator.next()
    }
}
