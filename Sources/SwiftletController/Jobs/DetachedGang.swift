import Foundation
import NIOCore
import SwiftletPOSIX
import SwiftletProtocol

/// A job whose gang a background `swiftlet supervise` process on this machine holds (``GangRun``)
/// until the job ends: a multi-node job launched with `-d` (the command returns once every rank
/// is submitted), or an attached run the person detached from with Ctrl-C, during its setup or,
/// on several nodes, its run. It starts the ranks together once every node admitted its own, and
/// stops every other rank's process tree when one fails, exactly as an attached run does; what
/// it would have printed goes to ``logPath``. If this machine goes away mid-run, the ranks run on
/// without fail-fast, each node keeping its own log and state.
public struct DetachedGang: Codable, Sendable {
    public var cluster: String
    public var jobID: Int
    public var taskName: String?
    public var ranks: [Rank]
    /// What already runs on the nodes when the supervisor takes over.
    public var handedOver: Phase = .nothing

    public enum Phase: String, Codable, Sendable {
        /// Nothing: the supervisor starts the run.
        case nothing
        /// The setup runs: the supervisor follows it from its logs to its end, then starts the
        /// run once every rank's setup succeeded.
        case setup
        /// The run runs: the supervisor follows it from its logs.
        case run
    }

    public struct Rank: Codable, Sendable {
        public var node: NodeAddress
        public var name: String
        /// The rank's ``ExecRequest``, as its payload in base64.
        public var request: String
    }

    init(cluster: String, jobID: Int, taskName: String?, ranks: [GangRun.Rank], handedOver: Phase = .nothing) {
        self.cluster = cluster
        self.jobID = jobID
        self.taskName = taskName
        self.handedOver = handedOver
        self.ranks = ranks.map { rank in
            Rank(
                node: rank.session.address,
                name: rank.session.name,
                request: Data(rank.request.payload.readableBytesView).base64EncodedString()
            )
        }
    }

    /// Where the supervisor of `job` on `cluster` finds its description (removed once read: it
    /// holds the task's secrets) and writes its output.
    public static func directory(home: SwiftletHome, cluster: String) -> String { home.path + "/supervise/" + cluster }
    public static func specPath(home: SwiftletHome, cluster: String, job: Int) -> String {
        directory(home: home, cluster: cluster) + "/\(job).json"
    }
    public static func logPath(home: SwiftletHome, cluster: String, job: Int) -> String {
        directory(home: home, cluster: cluster) + "/\(job).log"
    }

    /// Starts the supervisor (`executable supervise --spec FILE`) and returns once it reports
    /// every rank submitted, or throws what kept it from getting there.
    func start(home: SwiftletHome, executable: String) async throws {
        let spec = Self.specPath(home: home, cluster: cluster, job: jobID)
        try home.ensure(Self.directory(home: home, cluster: cluster))
        try AtomicFile.write(Array(try JSONEncoder().encode(self)), to: spec)
        try await BackgroundHelper.start(
            [executable, "supervise", "--spec", spec],
            log: Self.logPath(home: home, cluster: cluster, job: jobID)
        ) {
            ControllerError("job \(jobID)'s supervisor did not start: \($0)")
        }
    }

    /// The body of `swiftlet supervise`: connects to every rank's node, starts the gang (or takes
    /// over what runs), reports `ready` through `report` once every rank is submitted (or taken
    /// over; or the error: `report` is called once), then runs the gang to its end. Returns the
    /// job's exit code.
    public func supervise(
        connector: NodeConnector,
        output: any JobOutput,
        report reportOnce: @escaping @Sendable (String) -> Void
    ) async -> Int32 {
        let reported = Locked(false)
        let report: @Sendable (String) -> Void = { line in
            let first = reported.withLock { done in
                let first = !done
                done = true
                return first
            }
            if first { reportOnce(line) }
        }
        let sessions: [NodeSession]
        let requests: [ExecRequest]
        do {
            requests = try ranks.map { rank in
                guard let bytes = Data(base64Encoded: rank.request) else {
                    throw ControllerError("\(rank.name): the request is not base64")
                }
                return try ExecRequest(payload: ByteBuffer(bytes: bytes))
            }
            sessions = try await withThrowingTaskGroup(of: (Int, NodeSession).self) { group in
                for (index, rank) in ranks.enumerated() {
                    group.addTask { (index, try await connector.connect(to: rank.node, name: rank.name)) }
                }
                return try await group.reduce(into: [NodeSession?](repeating: nil, count: ranks.count)) { $0[$1.0] = $1.1 }
                    .compactMap { $0 }
            }
        } catch let error as NodeError {
            report(HelperReport.failed(error).line)
            return 255
        } catch {
            report(HelperReport.failed(NodeError(node: "job \(jobID)", step: "run", "\(error)")).line)
            return 255
        }
        if handedOver != .nothing { report(HelperReport.ready.line) }
        if handedOver == .setup,
            let failed = await followSetup(sessions: sessions, requests: requests, connector: connector, output: output)
        {
            for session in sessions { await session.close() }
            return failed
        }
        let submitted = Locked(Set<Int>())
        let gangRanks = sessions.enumerated().map { index, session in
            var request = requests[index]
            request.startsOnGo = sessions.count > 1
            return GangRun.Rank(
                session: session,
                request: request,
                prefix: Prefixes.run(task: taskName, rank: index, ip: session.address.ip, multiNode: sessions.count > 1),
                reconnect: { [connector] in try await connector.connect(to: session.address, name: session.name) },
                onFirstEvent: {
                    let all = submitted.withLock { ranks in
                        ranks.insert(index)
                        return ranks.count == sessions.count
                    }
                    if all { report(HelperReport.ready.line) }
                },
                adopted: handedOver == .run
            )
        }
        let gang = await GangRun(ranks: gangRanks, output: output, clock: connector.clock).run()
        for session in sessions { await session.close() }
        guard let failure = gang.firstFailure else {
            output.report(.succeeded(job: jobID))
            return 0
        }
        let nodes = sessions.map(\.name)
        // Told to the starter only when the gang failed before every rank was submitted.
        report(HelperReport.failed(NodeError(node: "job \(jobID)", step: "run", failure.describe(nodes: nodes))).line)
        output.report(JobRunner.ending(failure, job: jobID, cluster: cluster, nodes: nodes, codes: gang.exitCodes).0)
        return failure.exitCode
    }

    /// Follows every rank's setup, which runs already, to its end; returns the job's exit code
    /// when a setup failed (the others are stopped), nil when all succeeded.
    private func followSetup(sessions: [NodeSession], requests: [ExecRequest], connector: NodeConnector, output: any JobOutput) async
        -> Int32?
    {
        let setups = sessions.enumerated().map { index, session in
            var request = requests[index]
            request.job?.step = .setup
            return GangRun.Rank(
                session: session,
                request: request,
                prefix: Prefixes.setup(ip: sessions.count > 1 ? session.address.ip : nil),
                reconnect: { [connector] in try await connector.connect(to: session.address, name: session.name) },
                adopted: true
            )
        }
        let gang = await GangRun(ranks: setups, output: output, clock: connector.clock).run()
        guard let failure = gang.firstFailure else { return nil }
        output.report(JobRunner.ending(failure, job: jobID, cluster: cluster, nodes: sessions.map(\.name), codes: nil, setup: true).0)
        return failure.exitCode
    }
}
