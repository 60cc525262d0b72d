import ArgumentParser
import Foundation
import SwiftletController
import SwiftletTask

struct Swiftlet: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "swiftlet",
        abstract: "Run SkyPilot tasks on machines you already have.",
        version: SwiftletVersion.current,
        subcommands: [
            Launch.self, Exec.self, Logs.self, Queue.self, Cancel.self, Status.self, Down.self, Validate.self, Version.self, Keeper.self,
            Supervise.self,
        ]
    )
}

/// Options shared by the commands that run a task.
struct TaskOptions: ParsableArguments {
    @Option(name: .customLong("env"), help: "Set or fill an env var of the task (KEY=VALUE).")
    var envs: [String] = []

    @Option(name: .customLong("secret"), help: "Set or fill a secret of the task (KEY=VALUE).")
    var secrets: [String] = []

    @Flag(name: [.customShort("d"), .long], help: "Return once the job started; it keeps running on the cluster.")
    var detach = false

    @Option(help: "How many nodes run the job (launch: the cluster's size; default: the task's num_nodes).")
    var numNodes: Int?

    @Option(help: "CPUs the job needs on each node; it waits in the node's queue until they are free.")
    var cpus: Double?

    var milliCPUs: Int { Int(((cpus ?? 0) * 1000).rounded()) }

    func validate() throws {
        if let cpus, !(cpus >= 0 && cpus <= 100_000) { throw ValidationError("--cpus expects a number of CPUs, got \(cpus)") }
    }

    func overrides(_ values: [String], flag: String) throws -> [String: String] {
        var result: [String: String] = [:]
        for value in values {
            guard let equals = value.firstIndex(of: "="), equals != value.startIndex else {
                throw ValidationError("\(flag) expects KEY=VALUE, got '\(value)'")
            }
            result[String(value[..<equals])] = String(value[value.index(after: equals)...])
        }
        return result
    }

    func loadTask(_ path: String, quiet: Bool = false) throws -> TaskSpec {
        let task = try TaskLoader.load(
            path: path,
            envOverrides: overrides(envs, flag: "--env"),
            secretOverrides: overrides(secrets, flag: "--secret")
        )
        if !task.ignoredFields.isEmpty && !quiet {
            Terminal.err("Note: \(path): fields not acted on by Swiftlet: \(task.ignoredFields.joined(separator: ", ")).\n")
        }
        return task
    }
}
