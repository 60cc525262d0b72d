import NIOCore
import NIOPosix
import SwiftletGPU
import SwiftletPOSIX
import SwiftletProtocol
import SwiftletTransport

#if canImport(Glibc)
    import Glibc
#endif

/// Runs one ``ExecRequest`` on its stream: spawns the command in its own session, forwards
/// stdin, streams stdout and stderr (and appends them to the log file), delivers signals to the
/// whole process group, and reports how it ended.
/// Runs one ``ExecRequest`` on its stream: records and queues a job's step (``JobStep``), holds
/// a gang's rank at the gate (``GangGate``), starts the process through a launcher, wires its
/// output to the stream and the job's log (``OutputPump``) and its input from the stream
/// (``StreamInput``), stops its tree through the terminator when its controller is gone and it
/// should not outlive it, and reports how it ended.
enum ProcessSession {
    static let launcher: any ProcessLauncher = PipeLauncher()
    /// Stops a step's tree when its connection is lost (SIGTERM, 3 s, SIGKILL).
    static let terminator = ProcessTerminator()

    /// The launcher for a job's step under a ``JobSupervisor``; nil where this binary cannot be
    /// found again (it was replaced while running), and the step then runs without one.
    static func supervisedLauncher(for job: JobStep, command: CommandLine) -> SupervisedLauncher? {
        guard let binary = CommandLine.agentBinary, access(binary, X_OK) == 0 else { return nil }
        return SupervisedLauncher(
            supervisor: binary,
            logPath: command.expand(job.logPath),
            exitPath: command.expand(JobStore.exitPath(of: job.ticket.reference))
        )
    }

    /// The job steps this process is serving now.
    private static let inFlight = Locked<Set<JobReference>>([])

    static func serve(_ payload: ByteBuffer, on stream: MuxStream) async {
        let request: ExecRequest
        do {
            request = try ExecRequest(payload: payload)
        } catch {
            try? await stream.reset(.badRequest, "bad exec request: \(error)")
            return
        }
        var job: JobStep?
        // The step this request serves, until it ends however it ends.
        var serving: JobReference?
        defer { if let serving { inFlight.withLock { _ = $0.remove(serving) } } }
        if let ticket = request.job {
            guard let step = JobStep(ticket: ticket) else {
                try? await stream.reset(.badRequest, "bad cluster name '\(ticket.cluster)'")
                return
            }
            // Two submissions of one step (two controllers that chose the same job id in the
            // same microsecond, so with the same task id) must not both run it into one log.
            guard inFlight.withLock({ $0.insert(ticket.reference).inserted }) else {
                let message = "job \(ticket.id)'s \(ticket.step) of cluster '\(ticket.cluster)' is already running on this node"
                try? await stream.reset(.jobIDTaken, message + "; another controller uses this cluster name here")
                return
            }
            serving = ticket.reference
            do {
                switch try step.claim() {
                case nil:
                    break
                case .anotherJob(let holder):
                    let message = "job \(ticket.id) of cluster '\(ticket.cluster)' on this node is another job's (\(holder))"
                    try? await stream.reset(.jobIDTaken, message + "; another controller uses this cluster name here")
                    return
                case .alreadyRan(let state):
                    let step = "job \(ticket.id)'s \(ticket.step) of cluster '\(ticket.cluster)'"
                    try? await stream.reset(.jobIDTaken, step + " already ran on this node (\(state.rawValue)); a step is never run twice")
                    return
                }
                // A step that outlives the daemon gets its exit file now, so its end can be
                // written in place even if the step fills the disk.
                if request.survivesDisconnect { try JobExitFile.reserve(Environment.home + "/" + JobStore.exitPath(of: ticket.reference)) }
            } catch {
                try? await stream.reset(.spawnFailed, "cannot record job \(ticket.id) on this node, so it did not run: \(error)")
                return
            }
            job = step
        }
        let command: CommandLine
        let log: LogFile?
        do {
            let scriptFile = job.map { Environment.home + "/" + JobStore.scriptPath(of: $0.ticket.reference) }
            command = try CommandLine(request: request, scriptFile: scriptFile)
            // Opened before the job waits in the queue, so `swiftlet logs` finds it meanwhile.
            log = try job.map { try LogFile(path: command.expand($0.logPath)) }
        } catch {
            try? await stream.reset(.spawnFailed, "\(error)")
            return
        }
        // The stream's frames, read by one iterator: a gang's rank reads `go` from it before its
        // process exists, then the same iterator feeds the process.
        let inbound = InboundFrames(stream.inbound)
        // Set by the controller's `detach`: the process then outlives its connection.
        let detached = Flag(false)
        var environment = command.environment
        var gpuIDs: [Int] = []
        let devices = NodeRuntime.shared.gpus.devices
        // A job's step sees exactly its GPUs (a setup and a job without GPUs, none).
        func give(_ gpus: [Int]) {
            gpuIDs = gpus
            environment = GPUVisibility.applied(to: command.environment, devices: gpus.filter(devices.indices.contains).map { devices[$0] })
        }
        if job != nil { give([]) }
        if let job {
            switch await job.admit(stream: stream, holdsForGang: request.startsOnGo) {
            case .refused(let failure):
                log?.close()
                try? await stream.send(.reset, payload: failure.payload)
                return
            case .proceed(let allocated):
                give(allocated)
            }
        }
        if request.startsOnGo {
            switch await GangGate.wait(job: job, stream: stream, inbound: inbound, detached: detached) {
            case .stopped(let lost):
                // Another rank failed (or the controller left) before the gang started.
                log?.close()
                await job?.abandoned(connectionLost: lost)
                if !lost { try? await stream.send(.exit, payload: ExitStatus.killed(by: SIGKILL).payload) }
                return
            case .go(.asAdmitted):
                break
            case .go(.admittedAgain(let allocation)):
                give(allocation.gpuIDs)
            case .go(.withdrawn):
                log?.close()
                try? await stream.reset(.cancelled, "cancelled while waiting")
                return
            }
        }
        // A job that outlives its connection also outlives the daemon: its supervisor logs it.
        let supervisor = job.flatMap { request.survivesDisconnect ? Self.supervisedLauncher(for: $0, command: command) : nil }
        if supervisor != nil { log?.close() }
        let pipes: ProcessSpawner.Pipes
        do {
            pipes = try (supervisor ?? launcher).launch(command, environment: environment)
        } catch {
            if let script = command.temporaryScript { unlink(script) }
            log?.close()
            await job?.failedToStart()
            try? await stream.reset(.spawnFailed, "\(error)")
            return
        }
        let pid = pipes.pid
        async let exit = ChildReaper.shared.termination(of: pid)
        if job?.started(pid: pid, gpuIDs: gpuIDs) == false {
            ProcessSpawner.signalGroup(pid, SIGKILL)  // cancelled between its turn and its start
        }
        var started = ByteBuffer()
        started.writeInteger(UInt32(pid))
        try? await stream.send(.started, payload: started)

        let connected = Flag(true)
        var copy: (@Sendable (ByteBuffer) -> Void)?
        if supervisor == nil, let log { copy = { log.append($0) } }
        let stdout = Self.pump(pipes.stdout, as: .data, to: stream, copy: copy, connected: connected)
        let stderr = Self.pump(pipes.stderr, as: .stderr, to: stream, copy: copy, connected: connected)
        let taskID = job?.ticket.taskID
        let forwarding = Task {
            let lost = await StreamInput.forwardInbound(
                stream,
                inbound,
                stdin: pipes.stdin,
                pid: pid,
                taskID: taskID,
                detached: detached
            )
            // The controller is gone: unless the job outlives its connection, stop its tree.
            if lost && !request.survivesDisconnect && !detached.value {
                await terminator.terminate(ProcessIdentity.current(pid), taskID: taskID)
            }
        }
        try? await stdout.get()
        try? await stderr.get()
        let termination = await exit
        let reaped = ExitStatus(termination)
        // A supervisor killed while it drained a step that had ended (a gang's stop) left the
        // step's own status.
        let exitFile = supervisor.flatMap { JobExitFile(path: $0.exitPath) }
        let status = exitFile?.status ?? reaped
        if let script = command.temporaryScript { unlink(script) }
        log?.close()
        if let job, let cut = supervisor == nil ? log?.cut : exitFile?.logCut {
            job.logWasCut(at: cut.offset)
            if connected.value { try? await stream.send(.stderr, ByteBuffer(string: job.cutNotice(cut.offset, cut.error))) }
        }
        await job?.ended(status)
        if connected.value {
            try? await stream.send(.eof)
            if job?.wasCancelled == true {
                // Told as what it is: the job was cancelled, its process did not fail.
                try? await stream.reset(.cancelled, "the job was cancelled")
            } else {
                try? await stream.send(.exit, payload: status.payload)
            }
        }
        job?.sync()
        forwarding.cancel()
    }

    /// A process's output pipe into its stream, the pipe grown first: a fast writer fills it
    /// while the pump waits between reads during a flood.
    static func pump(
        _ fd: Int32,
        as kind: FrameKind,
        to stream: MuxStream,
        copy: (@Sendable (ByteBuffer) -> Void)?,
        connected: Flag
    ) -> EventLoopFuture<Void> {
        PipeCapacity.grow(fd, to: PipeCapacity.large)
        return StreamPump.start(fd, as: kind, to: stream, copy: copy, connected: connected)
    }
}
