import NIOCore
import NIOPosix
import SwiftletPOSIX
import SwiftletProtocol
import SwiftletTransport

#if canImport(Glibc)
    import Glibc
#endif

/// Runs one ``ExecRequest`` on its stream: spawns the command in its own session, forwards
/// stdin, streams stdout and stderr (and appends them to the log file), delivers signals to the
/// whole process group, and reports how it ended.
enum ProcessSession {
    /// How long a process group gets between SIGTERM and SIGKILL when its connection is lost.
    static let terminationGrace: Duration = .seconds(3)

    static func serve(_ payload: ByteBuffer, on stream: MuxStream) async {
        let request: ExecRequest
        do {
            request = try ExecRequest(payload: payload)
        } catch {
            await reset(stream, StreamFailure(code: StreamFailure.Code.badRequest, message: "bad exec request: \(error)"))
            return
        }
        var job: JobStep?
        if let ticket = request.job {
            guard let step = JobStep(ticket: ticket) else {
                await reset(stream, StreamFailure(code: StreamFailure.Code.badRequest, message: "bad cluster name '\(ticket.cluster)'"))
                return
            }
            job = step
        }
        let command = CommandLine(request: request)
        let log: LogFile?
        do {
            // Opened before the job waits in the queue, so `swiftlet logs` finds it meanwhile.
            log = try job.map { try LogFile(path: command.expand($0.logPath)) }
        } catch {
            await reset(stream, StreamFailure(code: StreamFailure.Code.spawnFailed, message: "\(error)"))
            return
        }
        // The stream's frames, read by one iterator: a gang's rank reads `go` from it before its
        // process exists, then the same iterator feeds the process.
        let inbound = InboundFrames(stream.inbound)
        // Set by the controller's `detach`: the process then outlives its connection.
        let detached = Flag(false)
        var environment = command.environment
        var gpuIDs: [Int] = []
        if let job {
            switch await job.admit(stream: stream, holdsForGang: request.startsOnGo) {
            case .refused(let failure):
                log?.close()
                await reset(stream, failure)
                return
            case .proceed(let allocated):
                gpuIDs = allocated
                if !gpuIDs.isEmpty { environment["CUDA_VISIBLE_DEVICES"] = gpuIDs.map(String.init).joined(separator: ",") }
            }
        }
        if request.startsOnGo {
            let notices = GangNotices(stream: stream)
            if let job { await NodeRuntime.shared.holdForGang(job.key, notice: notices.tell) }
            notices.tell(.admitted)
            let go = await waitForGo(inbound, detached: detached)
            var start = NodeRuntime.GangStart.asAdmitted
            if case .go = go, let job { start = await NodeRuntime.shared.gangStarts(job.key) }
            notices.finish()
            if case .stopped(let lost) = go {
                // Another rank failed (or the controller left) before the gang started.
                log?.close()
                await job?.abandoned(connectionLost: lost)
                if !lost { try? await stream.send(.exit, payload: ExitStatus.killed(by: SIGKILL).payload) }
                return
            }
            switch start {
            case .asAdmitted:
                break
            case .admittedAgain(let allocation):
                gpuIDs = allocation.gpuIDs
                environment["CUDA_VISIBLE_DEVICES"] = gpuIDs.isEmpty ? nil : gpuIDs.map(String.init).joined(separator: ",")
            case .withdrawn:
                log?.close()
                await reset(stream, StreamFailure(code: StreamFailure.Code.cancelled, message: "cancelled while waiting"))
                return
            }
        }
        let pipes: ProcessSpawner.Pipes
        do {
            try command.prepareWorkingDirectory()
            pipes = try ProcessSpawner.spawn(command.arguments, environment: environment, workingDirectory: command.workingDirectory)
        } catch {
            log?.close()
            await job?.failedToStart()
            await reset(stream, StreamFailure(code: StreamFailure.Code.spawnFailed, message: "\(error)"))
            return
        }
        let pid = pipes.pid
        let exit = Task { await ChildReaper.shared.termination(of: pid) }
        if job?.started(pid: pid, gpuIDs: gpuIDs) == false {
            ProcessSpawner.signalGroup(pid, SIGKILL)  // cancelled between its turn and its start
        }
        var started = ByteBuffer()
        started.writeInteger(UInt32(pid))
        try? await stream.send(.started, payload: started)

        let connected = Flag(true)
        do {
            let stdout = OutputPump.start(pipes.stdout, as: .data, to: stream, log: log, connected: connected)
            let stderr = OutputPump.start(pipes.stderr, as: .stderr, to: stream, log: log, connected: connected)
            let forwarding = Task {
                let lost = await forwardInbound(stream, inbound, stdin: pipes.stdin, pid: pid, detached: detached)
                // The controller is gone: unless the job outlives its connection, stop its tree.
                if lost && !request.survivesDisconnect && !detached.value { await terminate(group: pid) }
            }
            try? await stdout.get()
            try? await stderr.get()
            let termination = await exit.value
            let status: ExitStatus =
                switch termination {
                case .exited(let code): ExitStatus(code: code)
                case .signaled(let signal): .killed(by: signal)
                }
            log?.close()
            await job?.ended(status)
            if connected.value {
                try? await stream.send(.eof)
                try? await stream.send(.exit, payload: status.payload)
            }
            job?.sync()
            forwarding.cancel()
        }
    }

    /// SIGTERM to the whole group; SIGKILL to what is left of it once the leader has gone or
    /// after ``terminationGrace``.
    private static func terminate(group pid: pid_t) async {
        ProcessSpawner.signalGroup(pid, SIGTERM)
        let deadline = ContinuousClock.now + terminationGrace
        // The reaper collects the leader as soon as it exits; then kill(pid, 0) fails.
        while kill(pid, 0) == 0, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(50))
        }
        kill(-pid, SIGKILL)
    }

    /// Copies stdin frames to the process and carries out signals. Returns true when the
    /// connection was lost (as opposed to the stream ending normally).
    private static func forwardInbound(
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

    enum GoOrStop {
        case go
        /// A signal came first (the gang is being stopped), or the stream ended (`lost`).
        case stopped(lost: Bool)
    }

    /// Waits for the controller's `go`, keeping stdin that came before it for the process.
    private static func waitForGo(_ inbound: InboundFrames, detached: Flag) async -> GoOrStop {
        while let frame = await inbound.nextFromStream() {
            switch frame.kind {
            case .request:
                switch try? StreamRequest(payload: frame.payload) {
                case .go: return .go
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

    private static func reset(_ stream: MuxStream, _ failure: StreamFailure) async {
        try? await stream.send(.reset, payload: failure.payload)
    }
}

/// Tells a held gang rank's controller, in order, that the rank is admitted (`admitted`), that it
/// yielded to an older gang (`pending`), or that it is admitted again.
final class GangNotices: Sendable {
    private let continuation: AsyncStream<NodeRuntime.GangNotice>.Continuation

    init(stream: MuxStream) {
        let (notices, continuation) = AsyncStream.makeStream(of: NodeRuntime.GangNotice.self)
        self.continuation = continuation
        Task {
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

    @Sendable func tell(_ notice: NodeRuntime.GangNotice) { continuation.yield(notice) }

    func finish() { continuation.finish() }
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
