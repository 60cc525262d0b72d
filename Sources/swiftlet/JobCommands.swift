import ArgumentParser
import Foundation
import SwiftletController
import SwiftletTask

struct Logs: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show a job's output from the nodes' log files (default: the last job), following it while it runs.",
        discussion:
            "Exit codes: 0 succeeded, 100 failed, 101 not finished (--no-follow), 102 not found. Ctrl-C stops following; the job goes on."
    )

    @Argument(help: "The cluster.")
    var cluster: String

    @Argument(help: "The job id (default: the last job).")
    var job: Int?

    @Flag(help: "Print what is there and return instead of following.")
    var noFollow = false

    @Option(help: "Start with the last N lines of each rank.")
    var tail: Int?

    @Flag(help: "Print the job's state only (exit code as above).")
    var status = false

    func run() async throws {
        let code = try await CommandEnvironment.reportingErrors {
            let runner = try CommandEnvironment.runner()
            let logs = JobControl(connector: runner.connector)
            return try await logs.show(cluster: cluster, job: job, follow: !noFollow, tail: tail, statusOnly: status)
        }
        throw ExitCode(code)
    }
}

struct Queue: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List a cluster's jobs and their states, newest first.")

    @Argument(help: "The cluster.")
    var cluster: String

    @Flag(help: "Print JSON.")
    var json = false

    func run() async throws {
        let code = try await CommandEnvironment.reportingErrors {
            let runner = try CommandEnvironment.runner()
            let jobs = try await JobControl(connector: runner.connector).queue(cluster: cluster)
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                Terminal.out(String(decoding: try encoder.encode(jobs), as: UTF8.self) + "\n")
            } else if jobs.isEmpty {
                Terminal.out("No jobs on '\(cluster)'.\n")
            } else {
                let rows =
                    [["ID", "NAME", "STATE", "EXIT CODES"]]
                    + jobs.map { job in
                        [String(job.id), job.name ?? "-", job.state, job.exitCodes.map(String.init).joined(separator: ",")]
                    }
                Terminal.out(TextTable.render(rows))
            }
            return 0
        }
        throw ExitCode(code)
    }
}

struct Cancel: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Cancel jobs (default: the last one): SIGTERM to their whole process trees on every node, SIGKILL after 3 s."
    )

    @Argument(help: "The cluster.")
    var cluster: String

    @Argument(help: "Job ids.")
    var jobs: [Int] = []

    @Flag(help: "Cancel every job that still runs.")
    var all = false

    func run() async throws {
        let code = try await CommandEnvironment.reportingErrors {
            let runner = try CommandEnvironment.runner()
            return try await JobControl(connector: runner.connector).cancel(cluster: cluster, jobs: jobs, all: all)
        }
        throw ExitCode(code)
    }
}

struct Validate: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Check a task file and print how Swiftlet reads it.")

    @Argument(help: "The task YAML file.")
    var task: String

    @Flag(help: "Print the normalized task as JSON (SkyPilot's reading, field for field).")
    var json = false

    @OptionGroup var options: TaskOptions

    func run() throws {
        do {
            let spec = try options.loadTask(task, quiet: json)
            if json {
                Terminal.out(spec.normalized.text + "\n")
            } else {
                Terminal.out("\(task): valid task '\(spec.name ?? "(unnamed)")', \(spec.numNodes) node(s)\n")
            }
        } catch let error as TaskError {
            Terminal.err("error: \(error)\n")
            throw ExitCode(2)
        }
    }
}
