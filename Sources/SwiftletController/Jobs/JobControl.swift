import Foundation
import NIOCore
import SwiftletPOSIX
import SwiftletProtocol

/// `swiftlet logs`, `queue` and `cancel`: a job's output read back from each node's log file
/// from a byte offset, its state, and stopping it.
/// When the connection is cut it reconnects and goes on from the last byte it got, so no line is
/// lost and none repeated.
public struct JobControl: Sendable {
    /// `swiftlet logs` exit codes.
    public enum ExitCode {
        public static let succeeded: Int32 = 0
        public static let failed: Int32 = 100
        public static let notFinished: Int32 = 101
        public static let notFound: Int32 = 102
        public static let cancelled: Int32 = 103
    }

    enum RankOutcome: Equatable {
        case finished(ExitStatus)
        case running
        case driverDied
        case cancelled
        case notFound

        /// What the last frame of a follow or cancel stream reports; nil for the other frames.
        init?(ending frame: Frame, node: String, step: String) throws {
            switch frame.kind {
            case .exit:
                self = .finished((try? ExitStatus(payload: frame.payload)) ?? ExitStatus(code: -1))
            case .reset:
                let failure = try? StreamFailure(payload: frame.payload)
                switch failure?.code {
                case StreamFailure.Code.notFound: self = .notFound
                case StreamFailure.Code.stillRunning: self = .running
                case StreamFailure.Code.driverDied: self = .driverDied
                case StreamFailure.Code.cancelled: self = .cancelled
                default: throw NodeError(node: node, step: step, failure?.message ?? "failed")
                }
            default:
                return nil
            }
        }
    }

    public let connector: NodeConnector
    public let store: ClusterStore
    public let output: any JobOutput
    /// Reconnection attempts after a cut connection, half a second apart.
    public var reconnectAttempts = 20

    public init(connector: NodeConnector, output: any JobOutput) {
        self.connector = connector
        self.output = output
        self.store = ClusterStore(home: connector.home)
    }

    /// Prints job `job`'s output (default: the last job), or with `statusOnly` just its state.
    /// Returns the `logs` exit code.
    public func show(cluster name: String, job: Int?, follow: Bool, tail: Int? = nil, statusOnly: Bool = false) async throws -> Int32 {
        guard let record = try store.load(name) else {
            output.report(.error("no cluster '\(name)'; see 'swiftlet status'"))
            return ExitCode.notFound
        }
        let jobID = job ?? record.lastJobID
        guard jobID > 0 else {
            output.report(.error("cluster '\(name)' has no jobs yet"))
            return ExitCode.notFound
        }
        if statusOnly { return try await showState(cluster: name, jobID: jobID) }
        let multiNode = record.nodes.count > 1
        let outcomes = try await withThrowingTaskGroup(of: (Int, RankOutcome).self) { group in
            for (rank, node) in record.nodes.enumerated() {
                let prefix = Prefixes.run(task: record.jobNames?[String(jobID)], rank: rank, ip: node.ip, multiNode: multiNode)
                let setupPrefix = Prefixes.setup(ip: multiNode ? node.ip : nil)
                group.addTask {
                    return (
                        rank,
                        try await followRank(
                            node: node,
                            rank: rank,
                            cluster: name,
                            jobID: jobID,
                            follow: follow,
                            tail: tail,
                            prefix: prefix,
                            setupPrefix: setupPrefix
                        )
                    )
                }
            }
            var outcomes: [(Int, RankOutcome)] = []
            for try await outcome in group { outcomes.append(outcome) }
            return outcomes.sorted { $0.0 < $1.0 }.map(\.1)
        }
        let ran = outcomes.filter { $0 != .notFound }
        if ran.isEmpty {
            output.report(.error("no job \(jobID) on cluster '\(name)'"))
            return ExitCode.notFound
        }
        if ran.contains(.cancelled) {
            output.report(.wasCancelled(job: jobID))
            return ExitCode.cancelled
        }
        if ran.contains(.driverDied) {
            output.report(.driverDied(job: jobID))
            return ExitCode.failed
        }
        if ran.contains(.running) {
            output.report(.stillRunning(job: jobID))
            return ExitCode.notFinished
        }
        let failed = ran.contains { if case .finished(let status) = $0 { return !status.succeeded } else { return false } }
        return failed ? ExitCode.failed : ExitCode.succeeded
    }

    /// `logs --status`: the job's state from the nodes' stores, and the exit code that goes with it.
    private func showState(cluster name: String, jobID: Int) async throws -> Int32 {
        guard let job = try await queue(cluster: name).first(where: { $0.id == jobID }) else {
            output.report(.error("no job \(jobID) on cluster '\(name)'"))
            return ExitCode.notFound
        }
        output.report(.state(job: jobID, state: job.state))
        switch JobState(rawValue: job.state) {
        case .succeeded: return ExitCode.succeeded
        case .cancelled: return ExitCode.cancelled
        case .failed, .failedSetup, .failedDriver: return ExitCode.failed
        default: return ExitCode.notFinished
        }
    }

    /// One job as `swiftlet queue` shows it: its ranks' records from the nodes, merged.
    /// A job as `queue` lists it, across its ranks. Its JSON uses the field names of SkyPilot's
    /// job queue (`job_id`, `job_name`, `submitted_at`, `status`, ...), times in seconds since
    /// the epoch.
    public struct JobSummary: Codable, Sendable, Equatable {
        public var id: Int
        public var name: String?
        /// INIT, PENDING, SETTING_UP, RUNNING, SUCCEEDED, FAILED, FAILED_SETUP, FAILED_DRIVER,
        /// CANCELLED, or UNKNOWN (no node has it).
        public var state: String
        /// Exit codes in rank order (-1 where a rank has none).
        public var exitCodes: [Int32]
        /// Seconds since the epoch; nil when not reached.
        public var submitted: Int?
        public var started: Int?
        public var ended: Int?
        /// As SkyPilot shows a job's demand: `1x[CPU:0.5]`, `2x[A100:1]`.
        public var resources: String
        /// The job's directory on its nodes (logs, record), from the node user's home.
        public var logPath: String
        /// GPUs and CPUs it holds (or waits for) on each node.
        public var gpus: Int
        public var cpus: Double

        enum CodingKeys: String, CodingKey {
            case id = "job_id", name = "job_name", state = "status", exitCodes = "exit_codes", submitted = "submitted_at"
            case started = "start_at", ended = "end_at", resources, logPath = "log_path", gpus, cpus
        }

        init(id: Int, name: String?, ranks: [JobRecord?]) {
            let records = ranks.compactMap { $0 }
            self.id = id
            self.name = name ?? records.first.map(\.name).flatMap { $0.isEmpty ? nil : $0 }
            self.state = JobSummary.state(of: records.map(\.state))
            self.exitCodes = ranks.map { $0?.exit?.code ?? -1 }
            func time(_ seconds: Int?) -> Int? { seconds.flatMap { $0 > 0 ? $0 : nil } }
            self.submitted = time(records.map(\.submitted).filter { $0 > 0 }.min())
            self.started = time(records.map(\.started).filter { $0 > 0 }.min())
            self.ended = records.allSatisfy(\.state.isFinal) ? time(records.map(\.ended).max()) : nil
            self.gpus = Int(records.first?.gpus ?? 0)
            let cpus = Double(records.first?.milliCPUs ?? 0) / 1000
            self.cpus = cpus
            let demand = records.first.map { $0.accelerator.isEmpty ? "CPU:\(cpus.formatted())" : $0.accelerator } ?? "-"
            self.resources = "\(ranks.count)x[\(demand)]"
            self.logPath = "~/.swiftlet/jobs/\(records.first?.cluster ?? "")/\(id)"
        }

        /// The job's state from its ranks': the first rank to fail decides how it failed.
        static func state(of ranks: [SwiftletProtocol.JobState]) -> String {
            guard !ranks.isEmpty else { return "UNKNOWN" }
            for decisive in [JobState.cancelled, .failedDriver, .failedSetup, .failed] where ranks.contains(decisive) {
                return decisive.rawValue
            }
            for active in [JobState.settingUp, .running, .pending, .initializing] where ranks.contains(active) {
                return active.rawValue
            }
            return JobState.succeeded.rawValue
        }
    }

    /// The cluster's jobs, newest first, from the job stores of its nodes (one request per node).
    public func queue(cluster name: String) async throws -> [JobSummary] {
        guard let record = try store.load(name) else {
            throw ControllerError("no cluster '\(name)'; see 'swiftlet status'")
        }
        let perNode = try await withThrowingTaskGroup(of: (Int, [UInt32: JobRecord]).self) { group in
            for (rank, node) in record.nodes.enumerated() {
                group.addTask { (rank, try await listJobs(node: node, rank: rank, cluster: name)) }
            }
            return try await group.reduce(into: [Int: [UInt32: JobRecord]]()) { $0[$1.0] = $1.1 }
        }
        let ids = Set(perNode.values.flatMap(\.keys)).sorted(by: >)
        return ids.map { id in
            // Rank r of a job ran on node r: the records come in rank order.
            let ranks = (0..<record.nodes.count).map { perNode[$0]?[id] }
            let lastRank = ranks.lastIndex { $0 != nil } ?? 0
            return JobSummary(id: Int(id), name: record.jobNames?[String(id)], ranks: Array(ranks[...lastRank]))
        }
    }

    private func listJobs(node: NodeAddress, rank: Int, cluster: String) async throws -> [UInt32: JobRecord] {
        let name = JobRunner.nodeName(rank: rank, node: node)
        return try await connector.withSession(to: node, name: name) { session in
            try await Self.records(of: cluster, on: session)
        }
    }

    /// The job records `session`'s node keeps for `cluster`, by id.
    static func records(of cluster: String, on session: NodeSession) async throws -> [UInt32: JobRecord] {
        let stream = try await session.connection.openStream(.jobs, request: ByteBuffer(string: cluster))
        var records: [UInt32: JobRecord] = [:]
        for await frame in stream.inbound {
            switch frame.kind {
            case .data:
                if let job = JobRecord(text: String(buffer: frame.payload)) { records[job.id] = job }
            case .reset:
                throw NodeError(node: session.name, step: "queue", (try? StreamFailure(payload: frame.payload))?.message ?? "failed")
            default:
                continue
            }
        }
        return records
    }

    /// Cancels one job on one node; returns the outcome the node reports.
    private func cancelRank(node: NodeAddress, rank: Int, cluster: String, jobID: Int) async throws -> RankOutcome {
        let name = JobRunner.nodeName(rank: rank, node: node)
        let session = try await connector.connect(to: node, name: name)
        let request = FollowRequest(job: JobReference(cluster: cluster, id: UInt32(jobID)))
        do {
            let stream = try await session.connection.openStream(.cancel, request: request.payload)
            var outcome: RankOutcome?
            for await frame in stream.inbound {
                if let ending = try RankOutcome(ending: frame, node: name, step: "cancel") { outcome = ending }
            }
            // A stream that ended unanswered is no answer (its connection went): said, not
            // taken for "not found".
            guard let outcome else {
                let failure = await stream.connectionFailure()
                await session.close()
                throw NodeError(
                    node: name,
                    step: "cancel",
                    "the connection went before the node answered" + (failure.map { ": \($0)" } ?? "")
                )
            }
            await session.close()
            return outcome
        } catch {
            await session.close()
            throw error
        }
    }

    /// Cancels jobs on every node of the cluster: `jobs`, or (as SkyPilot) the newest one not
    /// yet finished; with `all`, every job not yet finished.
    public func cancel(cluster name: String, jobs: [Int], all: Bool, quiet: Bool = false) async throws -> Int32 {
        guard let record = try store.load(name) else {
            throw ControllerError("no cluster '\(name)'; see 'swiftlet status'")
        }
        // The jobs the nodes' stores say have not ended (one listing per node), newest first.
        var targets = jobs
        if all || jobs.isEmpty {
            let unfinished = try await queue(cluster: name).filter { $0.ended == nil }.map(\.id).sorted(by: >)
            targets = all ? unfinished : Array(unfinished.prefix(1))
            if targets.isEmpty && !quiet { output.report(.noUnfinishedJobs(cluster: name)) }
        }
        for jobID in targets.sorted() where jobID > 0 {
            let outcomes = try await withThrowingTaskGroup(of: RankOutcome.self) { group in
                for (rank, node) in record.nodes.enumerated() {
                    group.addTask {
                        try await cancelRank(node: node, rank: rank, cluster: name, jobID: jobID)
                    }
                }
                return try await group.reduce(into: [RankOutcome]()) { $0.append($1) }
            }
            if outcomes.contains(.cancelled) {
                output.report(.cancelled(job: jobID))
            } else if !all {
                let state = outcomes.allSatisfy { $0 == .notFound } ? "not found" : "not running"
                output.report(.nothingToCancel(job: jobID, reason: state))
            }
        }
        return 0
    }

    /// `down`'s last word to the nodes: each removes the cluster's job records and logs (its
    /// jobs were cancelled first). Returns the nodes that could not be told, with why: a launch
    /// under the same name later counts on past what they still keep.
    public func forget(cluster name: String) async -> [String] {
        guard let record = try? store.load(name) else { return [] }
        return await withTaskGroup(of: String?.self) { group in
            for (rank, node) in record.nodes.enumerated() {
                group.addTask {
                    let nodeName = JobRunner.nodeName(rank: rank, node: node)
                    do {
                        return try await connector.withSession(to: node, name: nodeName) { session in
                            let stream = try await session.connection.openStream(.forget, request: ByteBuffer(string: name))
                            for await frame in stream.inbound where frame.kind == .reset {
                                return "\(nodeName): \((try? StreamFailure(payload: frame.payload))?.message ?? "refused")"
                            }
                            return nil
                        }
                    } catch {
                        return "\(nodeName): \(error)"
                    }
                }
            }
            return await group.reduce(into: [String]()) { if let problem = $1 { $0.append(problem) } }
        }
    }

    /// One rank's part of a job as `logs` shows it: its setup's output (when it had a setup,
    /// and unless `--tail` asks only for the end), then its run's, as SkyPilot shows both. A
    /// setup that failed is the end of it.
    private func followRank(
        node: NodeAddress,
        rank: Int,
        cluster: String,
        jobID: Int,
        follow: Bool,
        tail: Int?,
        prefix: @escaping @Sendable (Int) -> String,
        setupPrefix: @escaping @Sendable (Int) -> String
    ) async throws -> RankOutcome {
        let job = JobReference(cluster: cluster, id: UInt32(jobID), step: .run)
        var sawSetup = false
        if tail == nil {
            var setup = job
            setup.step = .setup
            switch try await followStep(node: node, rank: rank, job: setup, follow: follow, tail: nil, prefix: setupPrefix) {
            case .notFound: break  // no setup on this node: a command, or a task without one
            case .finished(let status) where status.succeeded: sawSetup = true
            case let other: return other
            }
        }
        // The run starts a moment after its setup ended: a run not there yet is waited for.
        var attempts = sawSetup && follow ? reconnectAttempts : 0
        while true {
            let outcome = try await followStep(node: node, rank: rank, job: job, follow: follow, tail: tail, prefix: prefix)
            guard outcome == .notFound, attempts > 0 else {
                // A setup that succeeded and ended the job (a task without a run) is its outcome.
                return outcome == .notFound && sawSetup ? .finished(ExitStatus(code: 0)) : outcome
            }
            attempts -= 1
            try await connector.clock.sleep(for: .milliseconds(500))
        }
    }

    /// Shows one step's log from the node, following it while the step runs.
    private func followStep(
        node: NodeAddress,
        rank: Int,
        job: JobReference,
        follow: Bool,
        tail: Int?,
        prefix: @escaping @Sendable (Int) -> String
    ) async throws -> RankOutcome {
        let name = JobRunner.nodeName(rank: rank, node: node)
        var offset: UInt64 = 0
        var stdout = LinePrefixer(prefix: "")
        // With --tail, what is already there is read first (kept to its last lines), then followed.
        var lastLines = tail.map(LineTail.init(lines:))
        var attempt = 0
        while true {
            do {
                let session = try await connector.connect(to: node, name: name)
                let request = FollowRequest(job: job, offset: offset, follow: follow && lastLines == nil)
                let stream = try await session.connection.openStream(.follow, request: request.payload)
                var outcome: RankOutcome?
                var notes: [ByteBuffer] = []
                for await frame in stream.inboundPieces {
                    switch frame.kind {
                    case .started:
                        let pid = frame.payload.getInteger(at: frame.payload.readerIndex, as: UInt32.self) ?? 0
                        stdout = stdout.withPrefix(prefix(Int(pid)))
                    case .stderr:
                        // A note from the node (a log the disk cut short), shown after the log.
                        notes.append(frame.payload)
                    case .data:
                        offset += UInt64(frame.payload.readableBytes)
                        if lastLines != nil {
                            lastLines!.append(frame.payload.readableBytesView)
                        } else {
                            frame.payload.withUnsafeReadableBytes { stdout.feed($0) { output.write($0, to: .standardOutput) } }
                        }
                    default:
                        if let ending = try RankOutcome(ending: frame, node: name, step: "logs") { outcome = ending }
                    }
                }
                await session.close()
                if let caughtUp = lastLines, let outcome {
                    output.write(stdout.feed(caughtUp.bytes), to: .standardOutput)
                    lastLines = nil
                    if outcome == .running && follow { continue }
                }
                if let outcome {
                    output.write(stdout.finish(), to: .standardOutput)
                    for note in notes { note.withUnsafeReadableBytes { output.write($0, to: .standardError) } }
                    return outcome
                }
            } catch let error as NodeError where error.step == "logs" {
                throw error
            } catch {
                // A cut connection or a node not answering yet: try again from `offset`.
            }
            attempt += 1
            guard attempt <= reconnectAttempts else {
                throw NodeError(node: name, step: "logs", "the connection keeps failing; \(offset) bytes read")
            }
            try await connector.clock.sleep(for: .milliseconds(500))
        }
    }
}
