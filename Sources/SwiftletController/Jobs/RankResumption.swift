import Foundation
import NIOCore
import SwiftletPOSIX
import SwiftletProtocol

/// A rank whose connection was lost while its job runs on: a lost connection is not a dead node.
/// Reconnects (for up to ``grace``) and reads on from the job's log on the node, from the last
/// byte already shown, so no line is lost or repeated; reports the node by name when it stays
/// unreachable, or when the job died with the node's agent.
struct RankResumption: Sendable {
    /// How long a node may stay unreachable before it counts as lost (`SWIFTLET_RECONNECT_GRACE`
    /// seconds; default 20).
    static var grace: Duration {
        .seconds(SwiftletConfiguration.process.reconnectGraceSeconds)
    }

    let name: String
    /// The step whose log is followed.
    let job: JobReference
    let reconnect: @Sendable () async throws -> NodeSession
    /// Where the new session goes, so the gang can still stop this rank.
    let adopt: @Sendable (NodeSession) -> Void
    let output: any JobOutput
    /// When set, the line prefix is made anew from the pid the node reports (an adopted rank,
    /// or one whose start never reached this controller: it has the pid from the node alone).
    var prefix: (@Sendable (Int) -> String)? = nil
    /// Whether to say that the connection was lost (not for a rank followed from the start).
    var announcesLoss = true
    /// The time the grace and the pauses between tries are measured on.
    var clock: LoopClock = .continuous

    /// Follows the log from `offset`, feeding output to `stdout`; returns how the rank ended.
    func run(from offset: UInt64, stdout: inout LinePrefixer) async -> GangStateMachine.Outcome {
        var offset = offset
        let deadline = clock.deadline(after: Self.grace)
        var lastError = "no answer"
        if announcesLoss { output.report(.connectionLost(node: name)) }
        while !clock.hasPassed(deadline), !Task.isCancelled {
            do {
                let session = try await reconnect()
                adopt(session)
                let request = FollowRequest(job: job, offset: offset, follow: true)
                let stream = try await session.connection.openStream(.follow, request: request.payload)
                for await frame in stream.inboundPieces {
                    switch frame.kind {
                    case .started:
                        let pid = frame.payload.getInteger(at: frame.payload.readerIndex, as: UInt32.self) ?? 0
                        if let prefix, pid > 0 { stdout = stdout.withPrefix(prefix(Int(pid))) }
                    case .data:
                        offset += UInt64(frame.payload.readableBytes)
                        frame.payload.withUnsafeReadableBytes { stdout.feed($0) { output.write($0, to: .standardOutput) } }
                    case .exit:
                        let status = (try? ExitStatus(payload: frame.payload)) ?? ExitStatus(code: -1)
                        await session.close()
                        return .exited(status.code)
                    case .reset:
                        await session.close()
                        let failure = try? StreamFailure(payload: frame.payload)
                        switch failure?.code {
                        case StreamFailure.Code.cancelled: return .cancelled
                        case StreamFailure.Code.driverDied:
                            return .lost("\(name): lost the job: it died with the node's agent (FAILED_DRIVER)")
                        default: return .lost("\(name): lost the job: \(failure?.message ?? "no log on the node")")
                        }
                    default:
                        continue
                    }
                }
                await session.close()
                lastError = "the connection was lost again"
            } catch {
                lastError = "\(error)"
            }
            await clock.pause(for: .milliseconds(500))
        }
        return .unreachable("\(name): unreachable for \(Self.grace) after the connection dropped (\(lastError))")
    }
}
