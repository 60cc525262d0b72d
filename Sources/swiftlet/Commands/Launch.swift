import ArgumentParser
import Foundation
import SwiftletController
import SwiftletTask

struct Launch: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "launch",
        abstract: "Bring up a cluster (or reuse it) and run a task on it."
    ).underSwiftlet

    @Argument(help: "The task YAML file, or a command to run as a task ('echo hi'); with neither the cluster is only brought up.")
    var task: String?

    @Flag(help: "Skip the task's setup.")
    var noSetup = false

    @Option(name: [.customShort("c"), .customLong("cluster")], help: "Cluster name (created if new).")
    var cluster: String?

    @Option(help: "Where the nodes come from: local or ssh/POOL.")
    var infra: String?

    @OptionGroup var options: TaskOptions

    @Option(
        name: [.customShort("i"), .customLong("idle-minutes-to-autostop")],
        help: "Stop the cluster once no job has run or waited on it for this many minutes (its head node keeps count)."
    )
    var idleMinutes: Int?

    @Flag(help: "With -i, tear the cluster down instead of stopping it; alone, once its jobs are done (-i 0).")
    var down = false

    @Flag(help: "Check the task and say what the launch would do; change nothing.")
    var dryrun = false

    func validate() throws {
        if let idleMinutes, idleMinutes < 0 { throw ValidationError("-i expects minutes, 0 or more, got \(idleMinutes)") }
    }

    /// The autostop this launch asks for, as SkyPilot reads -i and --down; nil leaves it.
    var autostop: ClusterRecord.AutostopSetting? {
        guard idleMinutes != nil || down else { return nil }
        return ClusterRecord.AutostopSetting(minutes: idleMinutes ?? 0, down: down)
    }

    func run() async throws {
        let code = try await CommandEnvironment.reportingErrors {
            let spec = try taskSpec()
            let infra = try self.infra.map { try Infra(parsing: $0) }
            let name = cluster ?? "swiftlet-" + String(UUID().uuidString.prefix(4)).lowercased()
            var job = JobRunner.Job(task: spec, runSetup: !noSetup, detach: options.detach, nodeCount: options.numNodes)
            job.autostop = autostop
            if dryrun {
                let plan = try LaunchPlan(job, cluster: name, infra: infra, home: .fromEnvironment())
                Terminal.err(plan.lines.joined(separator: "\n") + "\n")
                return 0
            }
            let runner = try CommandEnvironment.runner()
            let detach = DetachRequest()
            job.detachRequest = detach
            defer { CommandEnvironment.refreshSSHConfigOrWarn() }
            return try await InterruptPolicy.detach(detach).run { [job] in try await runner.launch(job, cluster: name, infra: infra) }
        }
        throw ExitCode(code)
    }

    /// The task file, the command given as a task, or (neither) a task that only brings the
    /// cluster up.
    func taskSpec() throws -> TaskSpec {
        guard let task else { return try options.applied(to: TaskSpec()) }
        if Exec.mayNameTask([task]) || FileManager.default.fileExists(atPath: task) { return try options.loadTask(task) }
        return try options.applied(
            to: Exec.commandTask([task], envs: try options.environmentOverrides(), secrets: try options.secretOverrides())
        )
    }
}
