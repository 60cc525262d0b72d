import Foundation
import NIOCore
import SwiftletGPU
import SwiftletPOSIX
import SwiftletProtocol
import SwiftletTask

/// Runs jobs on a cluster's nodes: brings the agents up, syncs files, runs setup on every node,
/// then all ranks together, streaming prefixed output. Both phases are gangs: the first rank to
/// fail stops the others.
public struct JobRunner: Sendable {
    public let home: SwiftletHome
    public let connector: NodeConnector
    public let store: ClusterStore
    /// Where the job's output, progress and notices go.
    public let output: any JobOutput

    public init(home: SwiftletHome, connector: NodeConnector, output: any JobOutput) {
        self.home = home
        self.connector = connector
        self.store = ClusterStore(home: home)
        self.output = output
    }

    /// What to run on the cluster.
    public struct Job: Sendable {
        public var task: TaskSpec
        public var runSetup: Bool
        /// Return once the job started; it goes on with its output in the nodes' log files.
        public var detach: Bool
        /// Forward the controller's stdin to rank 0.
        public var forwardStdin: Bool
        /// How many of the cluster's nodes run the job; nil: the task's `num_nodes`.
        public var nodeCount: Int?
        /// Fired to detach from an attached run (Ctrl-C): the job goes on on the nodes, handed
        /// to a supervisor on this machine where it needs one (a setup in progress, a gang).
        public var detachRequest: DetachRequest?
        /// SkyPilot's way (a task) or ssh's (a command): what is told, and what the exit code says.
        public var style: RunStyle = .task
        /// The cluster's autostop from now on (`launch -i N [--down]`); nil leaves it as it is.
        public var autostop: ClusterRecord.AutostopSetting?

        public init(
            task: TaskSpec,
            runSetup: Bool,
            detach: Bool = false,
            forwardStdin: Bool = false,
            nodeCount: Int? = nil
        ) {
            self.task = task
            self.runSetup = runSetup
            self.detach = detach
            self.forwardStdin = forwardStdin
            self.nodeCount = nodeCount
        }

        /// CPUs the run holds on each node, in thousandths, waiting in the node's queue until
        /// they are free: the task's `cpus` (`--cpus`), else SkyPilot's half a CPU for a task; a
        /// command after `--` holds none, as over ssh. (GPUs come from its accelerators.)
        public var milliCPUs: Int {
            if let cpus = task.resources.cpus, let amount = try? ResourceQuantity.cpus(cpus).amount {
                return Int((amount * 1000).rounded())
            }
            return style == .task ? Self.defaultMilliCPUs : 0
        }

        /// SkyPilot's CPU demand of a task that names none (`DEFAULT_TASK_CPU_DEMAND`).
        public static let defaultMilliCPUs = 500

        func ticket(id: Int, cluster: String, rank: Int, step: JobTicket.Step, taskID: String) -> JobTicket {
            let gpus = TaskGPUs.choices(of: task)
            return JobTicket(
                id: UInt32(id),
                cluster: cluster,
                name: task.name ?? "",
                rank: UInt32(rank),
                step: step,
                isFinal: step == .run || task.run == nil,
                gpus: UInt32(task.resources.gpusPerNode),
                accelerator: GPURequest.text(gpus),
                milliCPUs: UInt32(milliCPUs),
                taskID: taskID,
                gpuShare: UInt32(gpus.first?.milliShare ?? 1000)
            )
        }
    }

    /// Creates the cluster if needed and runs `job`; returns the exit code for the command line.
    /// With `infra` nil, an existing cluster keeps its own and a new one uses the task's
    /// `resources.infra`, else `local`.
    public func launch(_ job: Job, cluster name: String, infra requested: Infra?) async throws -> Int32 {
        try ClusterStore.validate(name: name)
        var job = job
        job.task = try GitCheckout(home: home).resolved(job.task)
        let size = job.nodeCount ?? job.task.numNodes
        guard size >= 1 else { throw ControllerError("a cluster needs at least one node, not \(size)") }
        try Self.checkRequest(of: job.task)
        var containers = try ContainerBringUp(task: job.task, cluster: name, home: home)
        containers?.agent = connector.binary
        // Under the store's lock: two launches of one new name make one cluster.
        var (record, isNew) = try await store.locked {
            if let existing = try store.load(name) {
                if let infra = requested, existing.infra != infra {
                    throw ControllerError("cluster '\(name)' is on \(existing.infra), not \(infra); use another -c name")
                }
                try ContainerBringUp.check(containers, against: existing.nodes, cluster: name)
                // Its containers are started again where they stopped (a host rebooted).
                if let containers { _ = try await bringUp(containers, on: existing.nodes.map(\.host)) }
                return (existing, false)
            }
            let infra = try requested ?? job.task.resources.infra.map { try Infra(parsing: $0) } ?? .local
            var nodes = try await infra.provider().provision(count: size, cluster: name, home: home)
            output.report(.launching(cluster: name, infra: infra, nodes: nodes.count))
            if let containers {
                do {
                    nodes = try await bringUp(containers, on: nodes)
                } catch {
                    await ClusterTeardown.release(nodes: nodes, cluster: name, infra: infra, home: home)
                    throw error
                }
            }
            let record = ClusterRecord(name: name, infra: infra, nodes: nodes)
            try store.save(record)
            return (record, true)
        }
        do {
            return try await run(job, nodeCount: size, on: &record)
        } catch let error where isNew && record.lastJobID == 0 {
            // A launch whose nodes never came up leaves no cluster behind.
            try? await ClusterTeardown(home: home).down(name)
            throw error
        }
    }

    /// The task's container on each of `hosts`, each host's steps on the board as they happen.
    private func bringUp(_ containers: ContainerBringUp, on hosts: [NodeAddress]) async throws -> [NodeAddress] {
        let names = hosts.enumerated().map { Self.nodeName(rank: $0, node: $1) }
        let progress = Progress(enabled: true, output: output, clock: connector.clock)
        defer { progress.settle() }
        let image = containers.image
        return try await containers.containers(on: hosts, names: names) { node, step in
            switch step {
            case .pulling(let layers):
                progress.update("pulling \(image)" + (layers > 0 ? ", \(layers) layers so far" : ""), key: "pulling", node: node)
            case .starting: progress.update("starting its container", key: "starting", node: node, quiet: true)
            case .ready: progress.finish("container up", node: node)
            }
        }
    }

    /// Runs `job` on an existing cluster: on `job.nodeCount` nodes, else all of them.
    public func exec(_ job: Job, cluster name: String) async throws -> Int32 {
        guard var record = try store.load(name) else {
            throw ControllerError("no cluster '\(name)'; see 'swiftlet status'")
        }
        var job = job
        job.task = try GitCheckout(home: home).resolved(job.task)
        return try await run(job, nodeCount: job.nodeCount ?? record.nodes.count, on: &record)
    }

    private func run(_ job: Job, nodeCount: Int, on record: inout ClusterRecord) async throws -> Int32 {
        guard nodeCount >= 1, nodeCount <= record.nodes.count else {
            throw ControllerError(
                "cluster '\(record.name)' has \(record.nodes.count) node\(record.nodes.count == 1 ? "" : "s"); the job needs \(nodeCount)"
            )
        }
        try Self.checkRequest(of: job.task)
        let nodes = Array(record.nodes.prefix(nodeCount))
        // Bringing several nodes up is worth narrating; a warm exec is not.
        let progress = Progress(enabled: nodes.count > 1 && job.runSetup, output: output, clock: connector.clock)
        defer { progress.settle() }
        let sessions = try await connectAll(nodes, progress: progress)
        do {
            try await TaskFit.check(job.task, on: sessions)
            try await settle(job, on: sessions, record: &record)
        } catch {
            for session in sessions { await session.close() }
            throw error
        }
        if record.lastJobID == 0 { try await countOnFromTheNodes(sessions, record: &record) }
        let jobID = try takeJobID(for: job, on: &record)
        let environment = TaskEnvironment(
            cluster: record.name,
            infra: record.infra.description,
            nodeIPs: nodes.map(\.ip),
            jobID: jobID,
            submitted: Date(),
            user: Environment.userName,
            gpusPerNode: job.task.resources.gpusPerNode
        )
        let result: Result<JobResult, any Error>
        do {
            result = .success(try await run(job, environment: environment, sessions: sessions, progress: progress))
        } catch {
            result = .failure(error)
        }
        for session in sessions { await session.close() }
        let outcome = try result.get()
        try? store.locked {
            // Unless a later job was submitted meanwhile: its state is the one to show.
            guard var current = try store.load(record.name), current.lastJobID == jobID else { return }
            current.lastJobStatus = outcome.state
            try store.save(current)
        }
        return outcome.code(in: job.style)
    }

    /// What the cluster record keeps of its nodes, brought up to date before a job: their
    /// resources (asked of the head once), the autostop a launch sets, and UP again after an
    /// autostop stopped it (the head arms it again when the job comes).
    private func settle(_ job: Job, on sessions: [NodeSession], record: inout ClusterRecord) async throws {
        var changed = record
        if changed.resources == nil, let head = sessions.first {
            changed.resources = ClusterResources.text(of: try await NodeInspection.state(on: head), nodes: record.nodes.count)
        }
        if let autostop = job.autostop, let head = sessions.first {
            try await AutostopControl.set(autostop, cluster: record.name, on: head)
            changed.autostop = autostop
        }
        changed.stopped = nil
        guard changed != record else { return }
        record = try store.locked {
            guard var current = try store.load(record.name) else { throw ControllerError("cluster '\(record.name)' was taken down") }
            current.resources = changed.resources
            current.autostop = changed.autostop
            current.stopped = nil
            try store.save(current)
            return current
        }
    }

    /// A cluster's first job counts on from the highest id its nodes already keep for its name
    /// (a cluster of that name that was taken down, or another controller's): a job's files on
    /// a node are never reused.
    private func countOnFromTheNodes(_ sessions: [NodeSession], record: inout ClusterRecord) async throws {
        let cluster = record.name
        // One question per node, all at once: a new cluster of many nodes waits one round trip.
        let highest = try await withThrowingTaskGroup(of: UInt32.self) { group in
            for session in sessions {
                group.addTask { try await JobControl.records(of: cluster, on: session).keys.max() ?? 0 }
            }
            return Int(try await group.reduce(0) { max($0, $1) })
        }
        guard highest > 0 else { return }
        record = try store.locked {
            guard var current = try store.load(record.name) else { throw ControllerError("cluster '\(record.name)' was taken down") }
            current.lastJobID = max(current.lastJobID, highest)
            try store.save(current)
            return current
        }
    }

    /// The next job id of the cluster, taken under the store's lock so that concurrent commands
    /// on one cluster never share one (nor its log directory on the nodes).
    private func takeJobID(for job: Job, on record: inout ClusterRecord) throws -> Int {
        record = try store.locked {
            guard var current = try store.load(record.name) else {
                throw ControllerError("cluster '\(record.name)' was taken down")
            }
            current.lastJobID += 1
            if job.runSetup {
                var envs: [String: String] = [:]
                for variable in job.task.envs where variable.key != RegistryLogin.passwordKey { envs[variable.key] = variable.value }
                current.taskEnvs = envs.isEmpty ? nil : envs
            }
            if let name = job.task.name {
                current.jobNames = (current.jobNames ?? [:]).merging([String(current.lastJobID): name]) { _, new in new }
            }
            try store.save(current)
            return current
        }
        return record.lastJobID
    }

    /// How a job ended, for the cluster record and the command's exit code.
    struct JobResult {
        var state: String
        /// The command's own code: the first failing rank's (255 for a lost node, 103 cancelled,
        /// 130 detached).
        var code: Int32

        func code(in style: RunStyle) -> Int32 {
            guard style == .task else { return code }
            switch state {
            case "SUCCEEDED", "SUBMITTED": return JobControl.ExitCode.succeeded
            case "DETACHED": return code
            case "CANCELLED": return JobControl.ExitCode.cancelled
            case "UNKNOWN": return JobControl.ExitCode.notFinished
            default: return JobControl.ExitCode.failed
            }
        }
    }

    private func run(_ job: Job, environment: TaskEnvironment, sessions: [NodeSession], progress: Progress) async throws -> JobResult {
        let jobID = environment.jobID
        try await syncFiles(job.task, to: sessions, progress: progress)
        progress.settle()
        // A task's output comes as SkyPilot's does: its id first, both streams on stdout.
        let lines = job.style == .task ? MergedStreams(output: output) : output
        if job.style == .task && !job.detach { output.report(.attached(cluster: environment.cluster, job: jobID)) }
        let ranks = runRanks(job, environment: environment, sessions: sessions)
        if job.runSetup, let setup = job.task.setup {
            let setups = sessions.enumerated().map { rank, session in
                GangRun.Rank(
                    session: session,
                    request: ExecRequest(
                        command: setup,
                        workingDirectory: Self.workingDirectory(of: job.task, on: session.address),
                        environment: environment.setup(rank: rank, task: job.task),
                        sourceBashrc: true,
                        job: job.ticket(id: jobID, cluster: environment.cluster, rank: rank, step: .setup, taskID: environment.taskID)
                    ),
                    prefix: Prefixes.setup(ip: sessions.count > 1 ? session.address.ip : nil)
                )
            }
            let setupGang = GangRun(ranks: setups, output: lines, clock: connector.clock)
            let ending = await progress.timed("setup") { await setupGang.run(detach: job.detachRequest) }
            switch ending {
            case .detached:
                // The setups outlive this connection; a supervisor follows them and starts the run.
                guard job.task.run != nil else {
                    output.report(.detached(cluster: environment.cluster, job: jobID, supervised: false))
                    return JobResult(state: "DETACHED", code: 130)
                }
                try await handOver(ranks, job: job, environment: environment, phase: .setup)
                return JobResult(state: "DETACHED", code: 130)
            case .ended(let gang):
                if let failure = gang.firstFailure {
                    let (event, state) = Self.ending(
                        failure,
                        job: jobID,
                        cluster: environment.cluster,
                        nodes: sessions.map(\.name),
                        codes: nil,
                        setup: true
                    )
                    output.report(event)
                    return JobResult(state: state, code: failure.exitCode)
                }
            }
        }
        guard job.task.run != nil else {
            output.report(.nothingToRun(job: jobID))
            return JobResult(state: "SUCCEEDED", code: 0)
        }
        if job.detach {
            if ranks.count > 1 {
                try await handOver(ranks, job: job, environment: environment, phase: .nothing)
            } else {
                try await startDetached(ranks)
            }
            output.report(.submitted(cluster: environment.cluster, job: jobID))
            // Not RUNNING: this controller will not see it end ('swiftlet queue' asks the nodes).
            return JobResult(state: "SUBMITTED", code: 0)
        }
        // Attached ranks on several nodes wait, once their node's queue admitted them, until
        // every rank is admitted: the gang starts together.
        let gangRanks = ranks.map { rank in
            var rank = rank
            rank.request.startsOnGo = ranks.count > 1
            return rank
        }
        switch await GangRun(ranks: gangRanks, output: lines, clock: connector.clock).run(detach: job.detachRequest) {
        case .detached:
            // One rank goes on by itself; several need a supervisor for their fail-fast.
            if ranks.count > 1 { try await handOver(ranks, job: job, environment: environment, phase: .run) }
            output.report(.detached(cluster: environment.cluster, job: jobID, supervised: ranks.count > 1))
            return JobResult(state: "DETACHED", code: 130)
        case .ended(let gang):
            guard let failure = gang.firstFailure else { return JobResult(state: "SUCCEEDED", code: 0) }
            let codes = sessions.count > 1 ? gang.exitCodes : nil
            let (event, state) = Self.ending(failure, job: jobID, cluster: environment.cluster, nodes: sessions.map(\.name), codes: codes)
            output.report(event)
            return JobResult(state: state, code: failure.exitCode)
        }
    }

    /// How a gang's first failure is told, and the state recorded for the job: a cancelled job
    /// is no failure, and a node out of reach is no verdict on the job.
    static func ending(
        _ failure: GangStateMachine.Failure,
        job: Int,
        cluster: String,
        nodes: [String],
        codes: [Int32]?,
        setup: Bool = false
    ) -> (JobEvent, String) {
        switch failure.outcome {
        case .cancelled:
            return (.wasCancelled(job: job), "CANCELLED")
        case .unreachable(let reason):
            return (.contactLost(cluster: cluster, job: job, reason: reason), "UNKNOWN")
        case .exited, .lost:
            let described = failure.describe(nodes: nodes)
            return setup
                ? (.setupFailed(job: job, failure: described), "FAILED_SETUP")
                : (.failed(job: job, failure: described, exitCodes: codes), "FAILED")
        }
    }

    /// A step's request travels in one frame: a task too large for it is refused before a job
    /// id is taken or anything runs (a `run:` of a megabyte said only "connection lost"); so is
    /// an env whose name is no variable's or whose value no environment can carry, and what
    /// ``TaskChecks`` finds (mounts Swiftlet cannot make, a workdir that is not there).
    public static func checkRequest(of task: TaskSpec) throws {
        try TaskChecks.check(task)
        let limit = Frame.defaultMaximumPayload - 64 * 1024
        var environment = 0
        for variable in task.envs + task.secrets {
            // Named by key only: a secret's value never appears in an error.
            guard EnvironmentName.isValid(variable.key) else {
                throw ControllerError("env '\(variable.key)' is not a variable name: use letters, digits and '_'")
            }
            guard !variable.value.utf8.contains(0) else {
                throw ControllerError("env \(variable.key): the value holds a NUL byte, which no environment can carry")
            }
            environment += variable.key.utf8.count + variable.value.utf8.count + 16
        }
        for (section, text) in [("setup", task.setup), ("run", task.run)] {
            let size = (text?.utf8.count ?? 0) + environment
            guard size <= limit else {
                throw ControllerError(
                    "the task's \(section) with its envs and secrets is \(size / 1024) KiB; at most \(limit / 1024) KiB fit"
                )
            }
        }
    }

    /// Where a task's steps start: `~/sky_workdir`, as on SkyPilot; a task without a `workdir`
    /// in a container starts where the image says (its WORKDIR), as `docker run` would.
    static func workingDirectory(of task: TaskSpec, on node: NodeAddress) -> String {
        task.workdir == nil ? node.transport.jobWorkingDirectory ?? "~/sky_workdir" : "~/sky_workdir"
    }

    /// The run's ranks, one per node.
    private func runRanks(_ job: Job, environment: TaskEnvironment, sessions: [NodeSession]) -> [GangRun.Rank] {
        sessions.enumerated().map { rank, session in
            GangRun.Rank(
                session: session,
                request: ExecRequest(
                    command: job.task.run ?? "",
                    workingDirectory: Self.workingDirectory(of: job.task, on: session.address),
                    environment: environment.run(rank: rank, task: job.task),
                    sourceBashrc: true,
                    survivesDisconnect: true,
                    job: job.ticket(id: environment.jobID, cluster: environment.cluster, rank: rank, step: .run, taskID: environment.taskID)
                ),
                prefix: Prefixes.run(task: job.task.name, rank: rank, ip: session.address.ip, multiNode: sessions.count > 1),
                forwardStdin: job.forwardStdin && rank == 0,
                reconnect: { [connector] in try await connector.connect(to: session.address, name: session.name) }
            )
        }
    }

    /// Hands the job to a background supervisor (``DetachedGang``) and returns once it holds it.
    private func handOver(_ ranks: [GangRun.Rank], job: Job, environment: TaskEnvironment, phase: DetachedGang.Phase) async throws {
        let gang = DetachedGang(
            cluster: environment.cluster,
            jobID: environment.jobID,
            taskName: job.task.name,
            ranks: ranks,
            handedOver: phase
        )
        try await gang.start(home: home, executable: connector.keeper?.executable ?? SelfExecutable.path())
        if phase == .setup { output.report(.detached(cluster: environment.cluster, job: environment.jobID, supervised: true)) }
    }

    /// Starts every rank; returns once all of them run (their output goes to the nodes' logs).
    private func startDetached(_ ranks: [GangRun.Rank]) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            for rank in ranks {
                group.addTask {
                    do {
                        let start = try await RemoteProcess.start(rank.request, on: rank.session).waitForStart()
                        if case .pending(let reason) = start {
                            output.report(.pending(node: rank.session.name, reason: reason))
                        }
                    } catch let failure as StreamFailure {
                        throw NodeError(node: rank.session.name, step: "run", failure.message)
                    }
                }
            }
            try await group.waitForAll()
        }
    }

    private func connectAll(_ nodes: [NodeAddress], progress: Progress) async throws -> [NodeSession] {
        try await withThrowingTaskGroup(of: (Int, NodeSession).self) { group in
            for (rank, node) in nodes.enumerated() {
                let name = Self.nodeName(rank: rank, node: node)
                group.addTask {
                    let session = try await progress.timed("agent up", doing: "connecting", node: name) {
                        try await connector.connect(to: node, name: name)
                    }
                    return (rank, session)
                }
            }
            var sessions: [(Int, NodeSession)] = []
            do {
                for try await session in group { sessions.append(session) }
            } catch {
                for (_, session) in sessions { await session.close() }
                throw error
            }
            return sessions.sorted { $0.0 < $1.0 }.map(\.1)
        }
    }

    /// Syncs `workdir` and local `file_mounts` to every node in parallel.
    private func syncFiles(_ task: TaskSpec, to sessions: [NodeSession], progress: Progress) async throws {
        let mounts = task.fileMounts.sorted { $0.key < $1.key }
        guard task.workdir != nil || !mounts.isEmpty else { return }
        let output = output
        @Sendable func reportSkipped(_ summary: FileSync.Summary, node: String) {
            for reason in [FileSync.Skipped.Reason.notAFile, .nameNotText] {
                let paths = summary.skipped.filter { $0.reason == reason }.map(\.path)
                if !paths.isEmpty { output.report(.notSynced(node: node, paths: paths, reason: reason.rawValue)) }
            }
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for session in sessions {
                group.addTask {
                    try await progress.timed("files synced", doing: "syncing files", node: session.name) {
                        if let workdir = task.workdir {
                            let summary = try await FileSync.sync(localDirectory: workdir, to: "~/sky_workdir", on: session)
                            reportSkipped(summary, node: session.name)
                        }
                        for (target, source) in mounts {
                            let summary = try await FileSync.mount(local: source, at: target, on: session)
                            reportSkipped(summary, node: session.name)
                        }
                    }
                }
            }
            try await group.waitForAll()
        }
    }

    static func nodeName(rank: Int, node: NodeAddress) -> String {
        "node \(rank) (\(node.transport.label))"
    }
}

/// SkyPilot's log-line prefixes.
enum Prefixes {
    static func setup(ip: String?) -> @Sendable (Int) -> String {
        { pid in ip.map { "(setup pid=\(pid), ip=\($0)) " } ?? "(setup pid=\(pid)) " }
    }

    static func run(task: String?, rank: Int, ip: String, multiNode: Bool) -> @Sendable (Int) -> String {
        { pid in
            guard multiNode else { return "(\(task ?? "task"), pid=\(pid)) " }
            return rank == 0 ? "(head, rank=0, pid=\(pid)) " : "(worker\(rank), rank=\(rank), pid=\(pid), ip=\(ip)) "
        }
    }
}
