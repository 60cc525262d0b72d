import NIOCore
import SwiftletGPU
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

    init?(ticket: JobTicket) {
        guard JobStore.isValidCluster(ticket.cluster) else { return nil }
        self.ticket = ticket
        self.directory = JobStore.directory(cluster: ticket.cluster, id: ticket.id)
        self.logPath = JobStore.logPath(of: ticket.reference)
    }

    enum Admission {
        case proceed(gpuIDs: [Int])
        case refused(StreamFailure)
    }

    /// For a run, waits for its turn in the node's queue, telling the controller why it waits.
    /// A job asking for GPUs this node could never give it is refused at its first step, before
    /// its setup runs.
    func admit(stream: MuxStream, holdsForGang: Bool) async -> Admission {
        await runtime.jobBegan(key)
        // Recorded before anything runs: a daemon that dies from here on leaves a record that
        // its successor turns FAILED_DRIVER, not a job nobody knows.
        record(.initializing, durable: false)
        var gpus: GPURequest?
        if ticket.gpus > 0 {
            switch GPURequest.pick(gpuChoices, on: runtime.gpus.devices) {
            case .success(let request): gpus = request
            case .failure(let unmet): return await refuse(unmet.description)
            }
        }
        guard ticket.step == .run else { return .proceed(gpuIDs: []) }
        let demand = ResourceQueue.Demand(
            gpus: gpus?.wholeGPUs ?? 0,
            milliCPUs: Int(ticket.milliCPUs),
            gang: holdsForGang && !ticket.taskID.isEmpty ? ticket.taskID : nil,
            gpuShare: gpus?.milliShare ?? 1000,
            models: gpus?.models ?? []
        )
        switch await runtime.submit(key, demand) {
        case .start(let allocation):
            return .proceed(gpuIDs: allocation.gpuIDs)
        case .impossible(let reason):
            return await refuse(reason)
        case .wait(let reason):
            event(record(.pending, durable: true), "PENDING, \(reason)")
            try? await stream.send(.pending, payload: ByteBuffer(string: reason))
            // Nil, or a record that ended meanwhile: cancelled, or failed by a newer daemon.
            guard let allocation = await runtime.waitForTurn(key), store.load(directory: directory)?.state.isFinal == false else {
                await finish()
                return .refused(StreamFailure(code: StreamFailure.Code.cancelled, message: "cancelled while waiting"))
            }
            return .proceed(gpuIDs: allocation.gpuIDs)
        }
    }

    /// The GPUs the job accepts, as its ticket says (any one of the choices).
    private var gpuChoices: [GPURequest] {
        let count = ticket.gpuShare < 1000 ? Double(ticket.gpuShare) / 1000 : Double(ticket.gpus)
        return ticket.accelerator.isEmpty ? [GPURequest(models: [], count: count)] : GPURequest.choices(ticket.accelerator, count: count)
    }

    /// The node could never run the job: it fails here, saying why.
    private func refuse(_ reason: String) async -> Admission {
        record(.failed, exit: ExitStatus(code: 1), durable: true)
        await runtime.jobEnded(key)
        return .refused(StreamFailure(code: StreamFailure.Code.spawnFailed, message: reason))
    }

    /// The step's process runs. Returns false when the job was cancelled in the meantime (its
    /// process must go at once).
    func started(pid: Int32, gpuIDs: [Int]) -> Bool {
        let identity = ProcessIdentity.current(pid)
        let devices = runtime.gpus.devices
        let current = record(ticket.step == .setup ? .settingUp : .running, durable: false) { record in
            record.pid = identity.pid
            record.pidStartTime = identity.startTime
            record.gpuIDs = gpuIDs
            record.gpuUUIDs = gpuIDs.compactMap { devices.indices.contains($0) && !devices[$0].uuid.isEmpty ? devices[$0].uuid : nil }
            record.logPath = logPath
        }
        event(current, "\(current.state.rawValue), pid \(pid)")
        return current.state != .cancelled
    }

    /// A gang's rank that never started: another rank failed first (it counts as killed, 137),
    /// or the controller left before the gang's `go` (FAILED_DRIVER).
    func abandoned(connectionLost: Bool) async {
        let current = connectionLost ? record(.failedDriver) : record(.failed, exit: .killed(by: 9))
        event(
            current,
            connectionLost ? "abandoned: the controller left before the gang started" : "stopped before it started",
            isFailure: true
        )
        await finish()
    }

    /// The step's process could not start.
    func failedToStart() async {
        record(ticket.step == .setup ? .failedSetup : .failed, exit: ExitStatus(code: 127))
        await finish()
    }

    /// The step's process ended with `status`. The record is written but not yet synced: call
    /// ``sync()`` once the controller has been told.
    func ended(_ status: ExitStatus) async {
        let current: JobRecord? =
            switch (ticket.step, status.succeeded) {
            case (.setup, true) where ticket.isFinal:
                // A task without a run: its setup is the whole job.
                record(.succeeded, exit: status, durable: false) { $0.setupExit = status }
            case (.setup, true):
                // The run continues the job; the setup's end is kept for whoever follows it.
                store.update(directory: directory, durable: false) { record in
                    var record = record
                    record.setupExit = status
                    return record
                } ?? store.load(directory: directory)
            case (.setup, false):
                record(.failedSetup, exit: status, durable: false) { $0.setupExit = status }
            case (.run, true): record(.succeeded, exit: status, durable: false)
            case (.run, false): record(.failed, exit: status, durable: false)
            }
        if let current { event(current, "ended: \(status)", isFailure: !status.succeeded) }
        await finish()
    }

    /// The step's log on the node stops at `offset` (the disk filled): the record says so, for
    /// whoever reads the log later.
    func logWasCut(at offset: UInt64) {
        store.update(directory: directory) { record in
            var record = record
            record.logCut = JobRecord.LogCut(step: ticket.step, offset: offset)
            return record
        }
    }

    /// What a controller is told of a cut log.
    func cutNotice(_ offset: UInt64, _ error: SystemError) -> String {
        JobStep.cutNotice(id: ticket.id, step: ticket.step, offset: offset, reason: "\(error)")
    }

    static func cutNotice(id: UInt32, step: JobTicket.Step, offset: UInt64, reason: String?) -> String {
        "swiftlet: job \(id)'s \(step == .setup ? "setup" : "run") log on the node stops at byte \(offset)"
            + (reason.map { ": \($0)" } ?? " (the node's disk filled)") + "; the rest reached only an attached controller\n"
    }

    /// Tells the daemon's log (and journald, in the host build) what happened to the step.
    private func event(_ current: JobRecord, _ what: String, isFailure: Bool = false) {
        AgentEvent.emit(.job(current, step: ticket.step, what, isFailure: isFailure))
    }

    /// Whether the job's record says it was cancelled.
    var wasCancelled: Bool { store.load(directory: directory)?.state == .cancelled }

    /// Makes the job's record durable.
    func sync() {
        store.sync(directory: directory)
    }

    private func finish() async {
        if ticket.step == .run { await runtime.release(key) }
        await runtime.jobEnded(key)
    }

    /// Moves the job's record to `state` when allowed, and sets what `also` sets; the exit
    /// status is kept either way (a cancelled job's record stays CANCELLED but learns how its
    /// process ended). Returns the record as it now stands.
    @discardableResult
    private func record(
        _ state: JobState,
        exit: ExitStatus? = nil,
        durable: Bool = true,
        also: (inout JobRecord) -> Void = { _ in }
    ) -> JobRecord {
        var result: JobRecord?
        // Not written only where the record cannot be written at all (none yet, on a full disk):
        // ``claim()`` has already refused such a job.
        _ = try? store.modify(directory: directory, durable: durable) { current in
            let base = opened(current)
            var changed = base.moved(to: state, at: UTCTime.now) ?? base
            if let exit, changed.exit == nil || changed.state == state { changed.exit = exit }
            if changed.state == state { also(&changed) }
            // This process runs the step and records its end: a daemon that takes over leaves
            // the job to it while it lives.
            changed.ownerPID = ProcessIdentity.current.pid
            changed.ownerStartTime = ProcessIdentity.current.startTime
            result = changed
            return changed
        }
        return result!
    }

    /// Why a job's id on this node cannot be taken for this step.
    enum ClaimRefusal: Equatable {
        /// Another job (this task id) holds the id.
        case anotherJob(String)
        /// This step of this job already ran here and ended (a submission repeated later).
        case alreadyRan(JobState)
    }

    /// Takes the job's id on this node for this step, atomically: nil when it is free or already
    /// this job's (a run continues its setup), else why not. A job's files are never reused: two
    /// controllers that use one cluster name on one node must not write into each other's logs
    /// and records, and a step is never run twice into one log. Throws when the record cannot be
    /// written (a full disk): a job is never run without one.
    func claim() throws(SystemError) -> ClaimRefusal? {
        var refusal: ClaimRefusal?
        try store.modify(directory: directory, durable: false) { current in
            if let current, !current.taskID.isEmpty, !ticket.taskID.isEmpty, current.taskID != ticket.taskID {
                refusal = .anotherJob(current.taskID)
                return nil
            }
            if let current, current.state.isFinal || (ticket.step == .setup && current.setupExit != nil) {
                refusal = .alreadyRan(current.state)
                return nil
            }
            return current ?? opened(nil)
        }
        return refusal
    }

    /// The record this step continues: its job's (the same task id; a run continues its setup),
    /// else a new one.
    private func opened(_ current: JobRecord?) -> JobRecord {
        if let current, current.taskID == ticket.taskID { return current }
        var fresh = JobRecord(ticket: ticket, submitted: UTCTime.now, logPath: logPath)
        fresh.name = fresh.name.replacingNewlines
        return fresh
    }
}

extension String {
    fileprivate var replacingNewlines: String {
        String(map { $0 == "\n" ? " " : $0 })
    }
}
