import ArgumentParser
import Foundation
import SwiftletController
import SwiftletTask

struct Cancel: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cancel",
        abstract: "Cancel jobs (default: the last one): SIGTERM to their whole process trees on every node, SIGKILL after 3 s."
    ).underSwiftlet

    @Argument(help: "The cluster.")
    var cluster: String

    @Argument(help: "Job ids.")
    var jobs: [Int] = []

    @Flag(help: "Cancel every job that still runs.")
    var all = false

    func run() async throws {
        let code = try await CommandEnvironment.reportingErrors {
            let runner = try CommandEnvironment.runner()
            return try await JobControl(connector: runner.connector, output: runner.output).cancel(cluster: cluster, jobs: jobs, all: all)
        }
        throw ExitCode(code)
    }
}
