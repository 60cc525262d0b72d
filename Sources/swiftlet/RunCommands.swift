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
            let infra = try self.infra.map(Infra.init(parsing:))
            let name = cluster ?? "swiftlet-" + String(UUID().uuidString.prefix(4)).lowercased()
            let runner = try CommandEnvironment.runner()
            CommandEnvironment.detachOnInterrupt()
            let job = JobRunner.Job(
                task: spec,
                runSetup: true,
                detach: options.detach,
                nodeCount: options.numNodes,
                milliCPUs: options.milliCPUs
            )
            return try await runner.launch(job, cluster: name, infra: infra)
        }
        throw ExitCode(code)
    }
}

struct Exec: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "exec",
        abstract: "Run a task (without setup) or a command on an existing cluster.",
        discussion: "swiftlet exec CLUSTER task.yaml   or   swiftlet exec CLUSTER -- COMMAND ARGS..."
    ).underSwiftlet

    @Argument(help: "The cluster.")
    var cluster: String

    @OptionGroup var options: TaskOptions

    @Argument(help: "A task YAML file.")
    var task: String?

    @Argument(parsing: .postTerminator, help: "A command to run instead of a task, after --.")
    var command: [String] = []

    func run() async throws {
        let words = task.map { [$0] + command } ?? command
        guard !words.isEmpty else { throw ValidationError("give a task file or a command: swiftlet exec CLUSTER -- COMMAND") }
        let code = try await CommandEnvironment.reportingErrors {
            let (spec, isTask) = try taskOrCommand(words)
            let forwardStdin = !options.detach && !Terminal.stdinIsTerminal
            let runner = try CommandEnvironment.runner()
            CommandEnvironment.detachOnInterrupt()
            // A task runs on its num_nodes; a bare command on every node of the cluster.
            let nodeCount = options.numNodes ?? (isTask ? spec.numNodes : nil)
            let job = JobRunner.Job(
                task: spec,
                runSetup: false,
                detach: options.detach,
                forwardStdin: forwardStdin,
                nodeCount: nodeCount,
                milliCPUs: options.milliCPUs
            )
            return try await runner.exec(job, cluster: cluster)
        }
        throw ExitCode(code)
    }
}

extension Exec {
    /// A single `.yaml` argument that exists is a task; anything else is a shell command.
    func taskOrCommand(_ words: [String]) throws -> (TaskSpec, isTask: Bool) {
        if words.count == 1, words[0].hasSuffix(".yaml") || words[0].hasSuffix(".yml"), FileManager.default.fileExists(atPath: words[0]) {
            return (try options.loadTask(words[0]), true)
        }
        var spec = TaskSpec()
        spec.run = words.joined(separator: " ")
        for (key, value) in try options.overrides(options.envs, flag: "--env").sorted(by: { $0.key < $1.key }) {
            spec.envs.append(.init(key: key, value: value))
        }
        return (spec, false)
    }
}
