import Foundation
import NIOCore
import SwiftletProtocol
import SwiftletTask

/// Runs jobs on a cluster's nodes: setup, then run, streaming prefixed output.
public struct JobRunner: Sendable {
    public let home: SwiftletHome
    public let connector: NodeConnector
    public let store: ClusterStore
    /// Where progress and notices go (stderr by default).
    public var notice: @Sendable (String) -> Void = { Terminal.err($0 + "\n") }

    public init(home: SwiftletHome, connector: NodeConnector) {
        self.home = home
        self.connector = connector
        self.store = ClusterStore(home: home)
    }

    /// What to run on the cluster.
    public struct Job: Sendable {
        public var task: TaskSpec
        public var runSetup: Bool
        /// Return once the job started; it goes on with its output in the node's log file.
        public var detach: Bool
        /// Forward the controller's stdin to rank 0.
        public var forwardStdin: Bool

        public init(task: TaskSpec, runSetup: Bool, detach: Bool = false, forwardStdin: Bool = false) {
            self.task = task
            self.runSetup = runSetup
            self.detach = detach
            self.forwardStdin = forwardStdin
        }
    }

    /// Creates the cluster if needed and runs `job`; returns the exit code for the command line.
    /// With `infra` nil, an existing cluster keeps its own and a new one uses the task's
    /// `resources.infra`, else `local`.
    public func launch(_ job: Job, cluster name: String, infra requested: Infra?) async throws -> Int32 {
        try ClusterStore.validate(name: name)
        var record: ClusterRecord
        if let existing = try store.load(name) {
            if let infra = requested, existing.infra != infra.description {
                throw ControllerError("cluster '\(name)' is on \(existing.infra), not \(infra); use another -c name")
            }
            record = existing
        } else {
            let infra = try requested ?? Infra(parsing: job.task.resources.infra ?? "local")
            let nodes = try infra.allocate(count: job.task.numNodes, cluster: name, home: home)
            record = ClusterRecord(name: name, infra: infra.description, nodes: nodes)
            try store.save(record)
            notice("Launching cluster '\(name)' on \(infra) (\(nodes.count) node\(nodes.count == 1 ? "" : "s")).")
        }
        guard record.nodes.count >= job.task.numNodes else {
            throw ControllerError("cluster '\(name)' has \(record.nodes.count) nodes; the task needs \(job.task.numNodes)")
        }
        return try await run(job, on: &record)
    }

    /// Runs `job` on an existing cluster.
    public func exec(_ job: Job, cluster name: String) async throws -> Int32 {
        guard var record = try store.load(name) else {
            throw ControllerError("no cluster '\(name)'; see 'swiftlet status'")
        }
        return try await run(job, on: &record)
    }

    private func run(_ job: Job, on record: inout ClusterRecord) async throws -> Int32 {
        let nodes = Array(record.nodes.prefix(job.task.numNodes))
        let sessions = try await connectAll(nodes)
        record.lastJobID += 1
        let jobID = record.lastJobID
        try store.save(record)
        let environment = TaskEnvironment(
            cluster: record.name,
            infra: record.infra,
            nodeIPs: nodes.map(\.ip),
            jobID: jobID,
            submitted: Date(),
            user: NSUserName(),
            gpusPerNode: job.task.resources.gpusPerNode
        )
        do {
            let code = try await run(job, record: &record, environment: environment, sessions: sessions, jobID: jobID)
            for session in sessions { await session.close() }
            return code
        } catch {
            for session in sessions { await session.close() }
            throw error
        }
    }

    private func run(
        _ job: Job,
        record: inout ClusterRecord,
        environment: TaskEnvironment,
        sessions: [NodeSession],
        jobID: Int
    ) async throws -> Int32 {
        if let workdir = job.task.workdir {
            try await sync(workdir: workdir, to: sessions)
        }
        if job.runSetup, let setup = job.task.setup {
            let code = try await runSetup(setup, job: job, environment: environment, sessions: sessions, jobID: jobID)
            if code != 0 {
                notice("ERROR: Job \(jobID)'s setup failed with return code \(code) (FAILED_SETUP).")
                return code
            }
        }
        guard let command = job.task.run else {
            notice("Job \(jobID): the task has no 'run' section; nothing to run.")
            return 0
        }
        let code = try await runRanks(command, job: job, environment: environment, sessions: sessions, jobID: jobID)
        record.lastJobStatus = code == 0 ? "SUCCEEDED" : "FAILED"
        try? store.save(record)
        return code
    }

    private func connectAll(_ nodes: [NodeAddress]) async throws -> [NodeSession] {
        try await withThrowingTaskGroup(of: (Int, NodeSession).self) { group in
            for (rank, node) in nodes.enumerated() {
                group.addTask {
                    (rank, try await connector.connect(to: node, name: Self.nodeName(rank: rank, node: node)))
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

    static func nodeName(rank: Int, node: NodeAddress) -> String {
        switch node {
        case .local: "node \(rank) (local)"
        case .ssh(let host): "node \(rank) (\(host.address))"
        }
    }

    private func sync(workdir: String, to sessions: [NodeSession]) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            for session in sessions {
                group.addTask {
                    try await FileSync.sync(localDirectory: workdir, to: "~/sky_workdir", on: session)
                }
            }
            try await group.waitForAll()
        }
    }

    private func runSetup(_ setup: String, job: Job, environment: TaskEnvironment, sessions: [NodeSession], jobID: Int) async throws -> Int32 {
        let codes = try await withThrowingTaskGroup(of: Int32.self) { group in
            for (rank, session) in sessions.enumerated() {
                let request = ExecRequest(
                    command: setup,
                    workingDirectory: "~/sky_workdir",
                    environment: environment.setup(rank: rank, task: job.task),
                    sourceBashrc: true,
                    logPath: ".swiftlet/jobs/\(jobID)/setup.log"
                )
                let ip = sessions.count > 1 ? session.address.ip : nil
                group.addTask {
                    try await stream(request, on: session, prefix: { pid in
                        ip.map { "(setup pid=\(pid), ip=\($0)) " } ?? "(setup pid=\(pid)) "
                    }, forwardStdin: false, detach: false)
                }
            }
            var codes: [Int32] = []
            for try await code in group { codes.append(code) }
            return codes
        }
        return codes.first { $0 != 0 } ?? 0
    }

    private func runRanks(_ command: String, job: Job, environment: TaskEnvironment, sessions: [NodeSession], jobID: Int) async throws -> Int32 {
        let name = job.task.name ?? "task"
        let codes = try await withThrowingTaskGroup(of: (Int, Int32).self) { group in
            for (rank, session) in sessions.enumerated() {
                let request = ExecRequest(
                    command: command,
                    workingDirectory: "~/sky_workdir",
                    environment: environment.run(rank: rank, task: job.task),
                    sourceBashrc: true,
                    survivesDisconnect: true,
                    logPath: ".swiftlet/jobs/\(jobID)/run.log"
                )
                let multiNode = sessions.count > 1
                let ip = session.address.ip
                group.addTask {
                    let code = try await stream(request, on: session, prefix: { pid in
                        guard multiNode else { return "(\(name), pid=\(pid)) " }
                        return rank == 0 ? "(head, rank=0, pid=\(pid)) " : "(worker\(rank), rank=\(rank), pid=\(pid), ip=\(ip)) "
                    }, forwardStdin: job.forwardStdin && rank == 0, detach: job.detach)
                    return (rank, code)
                }
            }
            var codes: [(Int, Int32)] = []
            for try await code in group { codes.append(code) }
            return codes.sorted { $0.0 < $1.0 }.map(\.1)
        }
        if job.detach {
            notice("Job \(jobID) submitted on '\(environment.cluster)'; its output goes to ~/.swiftlet/jobs/\(jobID)/run.log on the node.")
            return 0
        }
        if let failed = codes.enumerated().first(where: { $0.element != 0 }) {
            notice("ERROR: Job \(jobID) failed: rank \(failed.offset) exited with return code \(failed.element) (FAILED).")
            return failed.element
        }
        return 0
    }

    /// Runs one process and copies its output, line-prefixed, to the terminal.
    private func stream(
        _ request: ExecRequest,
        on session: NodeSession,
        prefix: @escaping @Sendable (Int) -> String,
        forwardStdin: Bool,
        detach: Bool
    ) async throws -> Int32 {
        do {
            return try await streamOutput(request, on: session, prefix: prefix, forwardStdin: forwardStdin, detach: detach)
        } catch let failure as StreamFailure {
            throw NodeError(node: session.name, step: "run", failure.message)
        } catch let error as ProtocolError {
            throw NodeError(node: session.name, step: "run", "lost the connection to the agent: \(error.message)")
        }
    }

    private func streamOutput(
        _ request: ExecRequest,
        on session: NodeSession,
        prefix: @escaping @Sendable (Int) -> String,
        forwardStdin: Bool,
        detach: Bool
    ) async throws -> Int32 {
        let process = try await RemoteProcess.start(request, on: session)
        if detach {
            // Once it started, the controller lets go; the agent keeps the job and its log.
            _ = try await process.waitForStart()
            return 0
        }
        let stdinTask: Task<Void, Never>? = forwardStdin ? Task { await process.forwardStandardInput() } : nil
        if !forwardStdin { try? await process.closeStdin() }
        defer { stdinTask?.cancel() }
        var stdout = LinePrefixer(prefix: "")
        var stderr = LinePrefixer(prefix: "")
        let status = try await process.wait { event in
            switch event {
            case .started(let pid):
                stdout = LinePrefixer(prefix: prefix(pid))
                stderr = LinePrefixer(prefix: prefix(pid))
            case .stdout(let bytes):
                Terminal.out(stdout.feed(bytes.readableBytesView))
            case .stderr(let bytes):
                Terminal.err(stderr.feed(bytes.readableBytesView))
            }
        }
        Terminal.out(stdout.finish())
        Terminal.err(stderr.finish())
        return status.code
    }
}
