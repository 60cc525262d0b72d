import NIOCore
import SwiftletPOSIX
import SwiftletProtocol

#if canImport(Glibc)
    import Glibc
#endif

/// Runs one phase of a job on several nodes at once with gang semantics (see
/// ``GangStateMachine``), streaming every rank's output, line-prefixed, to its ``JobOutput``.
struct GangRun {
    /// One rank's process: where, what, and how its lines are prefixed.
    struct Rank: Sendable {
        var session: NodeSession
        var request: ExecRequest
        var prefix: @Sendable (_ pid: Int) -> String
        var forwardStdin = false
        /// A new connection to the rank's node, to read on from its log after a lost
        /// connection (jobs that outlive their connection only).
        var reconnect: (@Sendable () async throws -> NodeSession)?
        /// Called once, when the node first says the rank started, waits, or was admitted.
        var onFirstEvent: (@Sendable () -> Void)?
    }

    let ranks: [Rank]
    let output: any JobOutput

    /// Starts every rank, then waits for all of them; the first failure kills the rest.
    func run() async -> GangStateMachine {
        let gang = Locked(GangStateMachine(rankCount: ranks.count))
        let processes = await startAll(gang)
        // The sessions of ranks that reconnected after a lost connection.
        let resumed = Locked([NodeSession?](repeating: nil, count: ranks.count))
        // Which ranks their nodes admitted (a rank may yield its admission to an older gang and
        // wait again), and whether the gang's go went out (once: a rank that yields after it
        // starts as soon as its node admits it again).
        let admissions = Locked((admitted: Set<Int>(), went: false))
        await withTaskGroup(of: Void.self) { group in
            for (index, rank) in ranks.enumerated() {
                guard let process = processes[index] else { continue }
                group.addTask {
                    // Ranks that wait for the gang start together, once every node admitted its own.
                    let admitted: @Sendable (Bool) async -> Void = { isAdmitted in
                        let go = admissions.withLock { state in
                            guard isAdmitted else {
                                state.admitted.remove(index)
                                return false
                            }
                            state.admitted.insert(index)
                            guard state.admitted.count == ranks.count, !state.went else { return false }
                            state.went = true
                            return true
                        }
                        guard go else { return }
                        for process in processes.compactMap({ $0 }) { try? await process.go() }
                    }
                    let outcome = await stream(process, rank: rank, admitted: admitted) { session in
                        resumed.withLock { $0[index] = session }
                    }
                    if case .kill(let victims) = gang.withLock({ $0.rankEnded(index, outcome) }) {
                        for victim in victims {
                            if let session = resumed.withLock({ $0[victim] }) {
                                // Its first connection is gone: stop its job through the new one.
                                if let job = ranks[victim].request.job?.reference {
                                    _ = try? await session.connection.openStream(.cancel, request: FollowRequest(job: job).payload)
                                }
                            } else {
                                try? await processes[victim]?.signal(SIGKILL)
                            }
                        }
                    }
                }
            }
        }
        for session in resumed.withLock({ $0.compactMap { $0 } }) { session.connection.close() }
        return gang.withLock { $0 }
    }

    /// Starts all ranks' processes together; a rank that cannot start fails the gang.
    private func startAll(_ gang: Locked<GangStateMachine>) async -> [RemoteProcess?] {
        await withTaskGroup(of: (Int, RemoteProcess?).self) { group in
            for (index, rank) in ranks.enumerated() {
                group.addTask {
                    do {
                        return (index, try await RemoteProcess.start(rank.request, on: rank.session))
                    } catch {
                        _ = gang.withLock { $0.rankEnded(index, .lost("\(rank.session.name): \(error)")) }
                        return (index, nil)
                    }
                }
            }
            var processes = [RemoteProcess?](repeating: nil, count: ranks.count)
            for await (index, process) in group { processes[index] = process }
            if gang.withLock({ $0.firstFailure }) != nil {
                // Someone could not start: the gang does not run.
                for process in processes.compactMap({ $0 }) { try? await process.signal(SIGKILL) }
            }
            return processes
        }
    }

    private func stream(
        _ process: RemoteProcess,
        rank: Rank,
        admitted: @Sendable (_ isAdmitted: Bool) async -> Void,
        adopt: @escaping @Sendable (NodeSession) -> Void
    ) async -> GangStateMachine.Outcome {
        let stdinTask: Task<Void, Never>? = rank.forwardStdin ? Task { await process.forwardStandardInput() } : nil
        if !rank.forwardStdin { try? await process.closeStdin() }
        defer { stdinTask?.cancel() }
        var stdout = LinePrefixer(prefix: "")
        var stderr = LinePrefixer(prefix: "")
        // Bytes of output shown: the offset in the node's log file of what comes next.
        var shown: UInt64 = 0
        var heard = false
        do {
            let status = try await process.wait { event in
                if !heard, let onFirstEvent = rank.onFirstEvent {
                    heard = true
                    onFirstEvent()
                }
                switch event {
                case .started(let pid):
                    stdout = LinePrefixer(prefix: rank.prefix(pid))
                    stderr = LinePrefixer(prefix: rank.prefix(pid))
                case .pending(let reason):
                    output.report(.pending(node: rank.session.name, reason: reason))
                    await admitted(false)
                case .admitted:
                    await admitted(true)
                case .stdout(let bytes):
                    shown += UInt64(bytes.readableBytes)
                    bytes.withUnsafeReadableBytes { stdout.feed($0) { output.write($0, to: .standardOutput) } }
                case .stderr(let bytes):
                    shown += UInt64(bytes.readableBytes)
                    bytes.withUnsafeReadableBytes { stderr.feed($0) { output.write($0, to: .standardError) } }
                }
            }
            output.write(stdout.finish(), to: .standardOutput)
            output.write(stderr.finish(), to: .standardError)
            return .exited(status.code)
        } catch let failure as StreamFailure where failure.code != StreamFailure.Code.connectionLost {
            return .lost("\(rank.session.name): \(failure.message)")
        } catch {
            // The connection was lost (directly, or behind the keeper): not necessarily the node.
            guard rank.request.survivesDisconnect, let reconnect = rank.reconnect, let job = rank.request.job?.reference else {
                let reason = (error as? ProtocolError)?.message ?? "\(error)"
                return .lost("\(rank.session.name): lost the connection to the agent: \(reason)")
            }
            output.write(stderr.finish(), to: .standardError)
            let resumption = RankResumption(
                name: rank.session.name,
                job: job,
                reconnect: reconnect,
                adopt: adopt,
                output: output
            )
            let outcome = await resumption.run(from: shown, stdout: &stdout)
            output.write(stdout.finish(), to: .standardOutput)
            return outcome
        }
    }
}
