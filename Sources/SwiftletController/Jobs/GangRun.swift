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
        /// The rank's process already runs (a controller handed it over): it is not started
        /// again; its output is read from its log on the node from the start, and it is stopped
        /// through a cancel.
        var adopted = false
    }

    /// How a gang's run ended for this controller.
    enum Ending {
        /// Every rank ended (or the first failure stopped the others).
        case ended(GangStateMachine)
        /// A ``DetachRequest`` came first: the ranks' processes were told to outlive this
        /// connection (where their agents can) and go on without it.
        case detached
    }

    let ranks: [Rank]
    let output: any JobOutput
    /// The time a rank that lost its connection is given to come back, measured on.
    var clock: LoopClock = .continuous

    /// Starts every rank, then waits for all of them; the first failure kills the rest.
    func run() async -> GangStateMachine {
        guard case .ended(let gang) = await run(detach: nil) else { preconditionFailure("detached without a detach request") }
        return gang
    }

    /// ``run()``, unless `detach` is asked for first: then every started process is told to
    /// outlive this connection and the gang returns at once, leaving its output to the logs.
    func run(detach: DetachRequest?) async -> Ending {
        let gang = Locked(GangStateMachine(rankCount: ranks.count))
        let processes = await startAll(gang)
        // The sessions of ranks that reconnected after a lost connection (or were adopted).
        let resumed = Locked([NodeSession?](repeating: nil, count: ranks.count))
        // Which ranks their nodes admitted (a rank may yield its admission to an older gang and
        // wait again), and whether the gang's go went out (once: a rank that yields after it
        // starts as soon as its node admits it again).
        let admissions = Locked((admitted: Set<Int>(), went: false))
        // A gang whose ranks wait for the go is detached only once it went out: a rank still
        // waiting for it would never start without this connection.
        let waitsForGo = ranks.contains { $0.request.startsOnGo }
        let went = DetachRequest()
        let detached = await withTaskGroup(of: Bool.self) { group in
            var running = 0
            for (index, rank) in ranks.enumerated() {
                let process = processes[index]
                guard process != nil || rank.adopted else { continue }
                running += 1
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
                        went.fire()
                    }
                    let adopt: @Sendable (NodeSession) -> Void = { session in resumed.withLock { $0[index] = session } }
                    let outcome =
                        if let process {
                            await stream(process, rank: rank, admitted: admitted, adopt: adopt)
                        } else {
                            await follow(rank, adopt: adopt)
                        }
                    // Detached meanwhile: what the rank did from here is no longer this gang's.
                    guard !Task.isCancelled else { return false }
                    if case .kill(let victims) = gang.withLock({ $0.rankEnded(index, outcome) }) {
                        for victim in victims { await stop(victim, processes: processes, resumed: resumed) }
                    }
                    return false
                }
            }
            if let detach {
                group.addTask {
                    await detach.wait()
                    if waitsForGo, detach.isFired, !went.isFired, !Task.isCancelled {
                        output.report(.detachingOnceStarted)
                        await went.wait()
                    }
                    return detach.isFired && !Task.isCancelled
                }
            }
            while running > 0, let isDetach = await group.next() {
                if isDetach { break }
                running -= 1
            }
            group.cancelAll()
            return detach?.isFired == true && running > 0
        }
        if detached {
            for (index, process) in processes.enumerated() {
                guard let process, ranks[index].session.connection.peer.serves(.detach) else {
                    continue
                }
                try? await process.detach()
            }
        }
        for session in resumed.withLock({ $0.compactMap { $0 } }) { session.connection.close() }
        return detached ? .detached : .ended(gang.withLock { $0 })
    }

    /// Stops a rank the gang gave up on: its process directly, or through a cancel where its
    /// first connection is gone (or it was adopted).
    private func stop(_ victim: Int, processes: [RemoteProcess?], resumed: Locked<[NodeSession?]>) async {
        if let session = resumed.withLock({ $0[victim] }) {
            if let job = ranks[victim].request.job?.reference {
                let type: StreamType = session.connection.peer.capabilities.contains(StreamType.stop.capability) ? .stop : .cancel
                let stream = try? await session.connection.openStream(type, request: FollowRequest(job: job).payload)
                // Until the node answered: the rank is gone before the gang reports.
                if let stream { for await _ in stream.inbound {} }
            }
        } else {
            try? await processes[victim]?.signal(SIGKILL)
        }
    }

    /// Starts all ranks' processes together (adopted ones run already); a rank that cannot
    /// start fails the gang.
    private func startAll(_ gang: Locked<GangStateMachine>) async -> [RemoteProcess?] {
        await withTaskGroup(of: (Int, RemoteProcess?).self) { group in
            for (index, rank) in ranks.enumerated() where !rank.adopted {
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

    /// An adopted rank: its output from its log on the node, from the first byte.
    private func follow(_ rank: Rank, adopt: @escaping @Sendable (NodeSession) -> Void) async -> GangStateMachine.Outcome {
        guard let job = rank.request.job?.reference else { return .lost("\(rank.session.name): the rank is no job's step") }
        let session = rank.session
        var stdout = LinePrefixer(prefix: rank.prefix(0))
        let resumption = RankResumption(
            name: rank.session.name,
            job: job,
            reconnect: rank.reconnect ?? { session },
            adopt: adopt,
            output: output,
            prefix: rank.prefix,
            announcesLoss: false,
            clock: clock
        )
        let outcome = await resumption.run(from: 0, stdout: &stdout)
        output.write(stdout.finish(), to: .standardOutput)
        return outcome
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
        } catch let failure as StreamFailure where failure.code == .cancelled {
            return .cancelled
        } catch let failure as StreamFailure where failure.code != .connectionLost {
            return .lost("\(rank.session.name): \(failure.message)")
        } catch {
            // Detached: the stream was let go on purpose.
            if Task.isCancelled { return .lost("\(rank.session.name): detached") }
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
                output: output,
                // The connection may have gone before the rank's start reached this controller:
                // its lines are then prefixed from the pid the node reports.
                prefix: rank.prefix,
                clock: clock
            )
            let outcome = await resumption.run(from: shown, stdout: &stdout)
            output.write(stdout.finish(), to: .standardOutput)
            return outcome
        }
    }
}
