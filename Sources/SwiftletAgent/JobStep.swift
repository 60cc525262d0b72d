import NIOCore
import SwiftletPOSIX
import SwiftletProtocol
import SwiftletTransport

/// A process that is a step of a job (its ``ExecRequest`` carries a ``JobTicket``): keeps the
/// job's record in the store in step with the process, and holds a `run` in the node's queue
/// until its GPUs and CPUs are free.
struct JobStep: Sendable {
    let ticket: JobTicket
    let directory: String
    let logPath: String
    private var runtime: NodeRuntime { NodeRuntime.shared }
    private var store: JobStore { NodeRuntime.shared.store }
    var key: String { NodeRuntime.key(cluster: ticket.cluster, id: ticket.id) }

    init?(ticket: JobTicket, logPath: String) {
        guard JobStore.isValidCluster(ticket.cluster) else { return nil }
        self.ticket = ticket
        self.directory = JobStore.directory(cluster: ticket.cluster, id: ticket.id)
        self.logPath = logPath
    }

    enum Admission {
        case proceed(gpuIDs: [Int])
        case refused(StreamFailure)
    }

    /// Records the job and, for a run, waits for its turn, telling the controller why it waits.
    func admit(stream: MuxStream) async -> Admission {
        let now = UTCTime.now
        let existing = store.load(directory: directory)
        // Setup opens a job's record; a run continues it after setup, or opens it when there was
        // none (a record left by a torn-down cluster of the same name is replaced).
        if ticket.step == .setup || existing?.state != .settingUp {
            var record = JobRecord(ticket: ticket, submitted: now, logPath: logPath)
            record.name = record.name.replacingNewlines
            do {
                try store.create(record)
            } catch {
                return .refused(StreamFailure(code: StreamFailure.spawnFailedCode, message: "cannot record the job: \(error)"))
            }
        }
        await runtime.jobBegan()
        guard ticket.step == .run else { return .proceed(gpuIDs: []) }
        let demand = ResourceQueue.Demand(gpus: Int(ticket.gpus), milliCPUs: Int(ticket.milliCPUs))
        switch await runtime.submit(key, demand) {
        case .start(let allocation):
            return .proceed(gpuIDs: allocation.gpuIDs)
        case .impossible(let reason):
            move(to: .failed, exit: ExitStatus(code: 1))
            await runtime.jobEnded()
            return .refused(StreamFailure(code: StreamFailure.spawnFailedCode, message: reason))
        case .wait(let reason):
            move(to: .pending)
            try? await stream.send(.pending, payload: ByteBuffer(string: reason))
            // Nil, or a record that ended meanwhile: cancelled, or failed by a newer daemon.
            guard let allocation = await runtime.waitForTurn(key), store.load(directory: directory)?.state.isFinal == false else {
                await finish()
                return .refused(StreamFailure(code: FollowRequest.cancelledCode, message: "cancelled while waiting"))
            }
            return .proceed(gpuIDs: allocation.gpuIDs)
        }
    }

    /// The step's process runs.
    func started(pid: Int32, gpuIDs: [Int]) {
        let identity = ProcessIdentity.of(pid) ?? ProcessIdentity(pid: pid, startTime: 0)
        store.update(directory: directory) { record in
            guard var moved = record.moved(to: ticket.step == .setup ? .settingUp : .running, at: UTCTime.now) else { return nil }
            moved.pid = identity.pid
            moved.pidStartTime = identity.startTime
            moved.gpuIDs = gpuIDs
            moved.logPath = logPath
            return moved
        }
    }

    /// The step's process could not start.
    func failedToStart() async {
        move(to: ticket.step == .setup ? .failedSetup : .failed, exit: ExitStatus(code: 127))
        await finish()
    }

    /// The step's process ended with `status`.
    func ended(_ status: ExitStatus) async {
        switch (ticket.step, status.succeeded) {
        case (.setup, true): break  // the run continues the job
        case (.setup, false): move(to: .failedSetup, exit: status)
        case (.run, true): move(to: .succeeded, exit: status)
        case (.run, false): move(to: .failed, exit: status)
        }
        await finish()
    }

    private func finish() async {
        if ticket.step == .run { await runtime.release(key) }
        await runtime.jobEnded()
    }

    /// Moves the record to `state` when allowed; the exit status is kept either way (a cancelled
    /// job's record stays CANCELLED but learns how its process ended).
    private func move(to state: JobState, exit: ExitStatus? = nil) {
        store.update(directory: directory) { record in
            var changed = record.moved(to: state, at: UTCTime.now) ?? record
            if let exit, changed.exit == nil || changed.state == state { changed.exit = exit }
            return changed
        }
    }
}

extension String {
    fileprivate var replacingNewlines: String {
        String(map { $0 == "\n" ? " " : $0 })
    }
}
