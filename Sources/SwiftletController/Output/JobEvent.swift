/// What happens while commands run, as the CLI renders it. Each case's ``description`` is its
/// plain one-line form; ``isResult`` says which belong on standard output (what a script reads)
/// rather than with the notices on standard error.
public enum JobEvent: Sendable, Equatable, CustomStringConvertible {
    case launching(cluster: String, infra: Infra, nodes: Int)
    /// One node finished a step of bringing it up (shown when no live board is drawn).
    case stepFinished(node: String, step: String, took: String)
    /// A node is at a step of coming up that may take long (pulling an image).
    case nodeStep(node: String, step: String)
    case pending(node: String, reason: String)
    /// Files a sync could not send: FIFOs, sockets, devices.
    case notSynced(node: String, paths: [String], reason: String)
    case connectionLost(node: String)
    case submitted(cluster: String, job: Int)
    /// An attached task's job, told before its output (as SkyPilot does), with what Ctrl-C does.
    case attached(cluster: String, job: Int)
    /// The person detached (Ctrl-C): the job goes on on the nodes, held by a supervisor on this
    /// machine when `supervised`.
    case detached(cluster: String, job: Int, supervised: Bool)
    /// Ctrl-C while a gang's ranks wait for each other: the detach happens once they started.
    case detachingOnceStarted
    case nothingToRun(job: Int)
    case setupFailed(job: Int, failure: String)
    case failed(job: Int, failure: String, exitCodes: [Int32]?)
    case succeeded(job: Int)
    /// `cancel` stopped it.
    case cancelled(job: Int)
    /// `logs` found it cancelled.
    case wasCancelled(job: Int)
    case nothingToCancel(job: Int, reason: String)
    case noUnfinishedJobs(cluster: String)
    case stillRunning(job: Int)
    /// An attached run lost its node for good: the job may still run there.
    case contactLost(cluster: String, job: Int, reason: String)
    case driverDied(job: Int)
    /// `logs --status`: the job's state, the command's result.
    case state(job: Int, state: String)
    /// A failure the command reports with its own exit code (`logs` of a job that is not there).
    case error(String)
    /// A line a background helper writes to its log.
    case helper(String)

    public var isResult: Bool {
        if case .state = self { return true }
        return false
    }

    public var description: String {
        switch self {
        case .launching(let cluster, let infra, let nodes):
            "Launching cluster '\(cluster)' on \(infra) (\(nodes) node\(nodes == 1 ? "" : "s"))."
        case .stepFinished(let node, let step, let took): "\(node): \(step) (\(took))"
        case .nodeStep(let node, let step): "\(node): \(step)"
        case .pending(let node, let reason): "\(node): the job is PENDING, \(reason)."
        case .notSynced(let node, let paths, let reason):
            "\(node): not synced (\(reason)): \(paths.joined(separator: ", "))"
        case .connectionLost(let node): "\(node): the connection was lost; reconnecting (the job goes on on the node)."
        case .submitted(let cluster, let job): "Job \(job) submitted on '\(cluster)'; follow it with 'swiftlet logs \(cluster) \(job)'."
        case .attached(let cluster, let job):
            "Job \(job) submitted on '\(cluster)'; Ctrl-C detaches (it goes on; follow it with 'swiftlet logs \(cluster) \(job)')."
        case .detached(let cluster, let job, let supervised):
            "Detached from job \(job); it goes on on '\(cluster)'"
                + (supervised ? ", its ranks held together by a supervisor on this machine" : "")
                + ". Follow it with 'swiftlet logs \(cluster) \(job)'."
        case .detachingOnceStarted: "Detaching once every rank has started (Ctrl-C again to leave now)."
        case .nothingToRun(let job): "Job \(job): the task has no 'run' section; nothing to run."
        case .setupFailed(let job, let failure): "ERROR: Job \(job)'s setup failed: \(failure) (FAILED_SETUP)."
        case .failed(let job, let failure, let codes):
            "ERROR: Job \(job) failed: \(failure) (FAILED)." + (codes.map { " Return codes in rank order: \($0)." } ?? "")
        case .succeeded(let job): "Job \(job) SUCCEEDED."
        case .cancelled(let job): "Job \(job): CANCELLED."
        case .wasCancelled(let job): "Job \(job) was cancelled."
        case .nothingToCancel(let job, let reason): "Job \(job): \(reason); nothing to cancel."
        case .noUnfinishedJobs(let cluster): "No unfinished jobs on '\(cluster)'."
        case .stillRunning(let job): "Job \(job) is still running."
        case .contactLost(let cluster, let job, let reason):
            "Job \(job): contact was lost (\(reason)). It may still run there; follow it with 'swiftlet logs \(cluster) \(job)'."
        case .driverDied(let job): "Job \(job): FAILED_DRIVER (a rank's process died without an exit record)."
        case .state(let job, let state): "Job \(job): \(state)"
        case .error(let message): "error: \(message)"
        case .helper(let line): line
        }
    }
}
