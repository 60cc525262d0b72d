import ArgumentParser
import Foundation
import SwiftletController
import SwiftletTask

struct Launch: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "launch",
        abstract: "Bring up a cluster (or reuse it) and run a task on it."
    ).underSwiftlet

    @Argument(help: "The task YAML file.")
    var task: String

    @Option(name: [.customShort("c"), .customLong("cluster")], help: "Cluster name (created if new).")
    var cluster: String?

    @Option(help: "Where the nodes come from: local or ssh/POOL.")
    var infra: String?

    @OptionGroup var options: TaskOptions

    func run() async throws {
        let code = try await CommandEnvironment.reportingErrors {
            let spec = try options.loadTask(task)
            let infra = try self.infra.map { try Infra(parsing: $0) }
            let name = cluster ?? "swiftlet-" + String(UUID().uuidString.prefix(4)).lowercased()
            let runner = try CommandEnvironment.runner()
            var job = JobRunner.Job(
                task: spec,
                runSetup: true,
                detach: options.detach,
                nodeCount: options.numNodes,
                milliCPUs: options.milliCPUs
            )
            let detach = DetachRequest()
            job.detachRequest = detach
            defer { CommandEnvironment.refreshSSHConfigOrWarn() }
            return try await InterruptPolicy.detach(detach).run { [job] in try await runner.launch(job, cluster: name, infra: infra) }
        }
        throw ExitCode(code)
    }
}
