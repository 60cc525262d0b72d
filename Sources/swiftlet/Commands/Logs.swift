import ArgumentParser
import Foundation
import SwiftletController
import SwiftletTask

struct Logs: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "logs",
        abstract: "Show a job's output from the nodes' log files (default: the last job), following it while it runs.",
        discussion:
            "Exit codes: 0 succeeded, 100 failed, 101 not finished (--no-follow), 102 not found. Ctrl-C stops following; the job goes on."
    ).underSwiftlet

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
            let logs = JobControl(connector: runner.connector, output: runner.output)
            return try await InterruptPolicy.leave.run { [cluster, job, noFollow, tail, status] in
                try await logs.show(cluster: cluster, job: job, follow: !noFollow, tail: tail, statusOnly: status)
            }
        }
        throw ExitCode(code)
    }
}
