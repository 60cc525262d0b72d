import ArgumentParser
import Foundation
import SwiftletController
import SwiftletTask

struct Cancel: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cancel",
        abstract: "Cancel jobs (default: the newest unfinished one): SIGTERM to their whole process trees on every node, SIGKILL after 3 s."
    ).underSwiftlet

    @Argument(help: "The cluster.")
    var cluster: String

    @Argument(help: "Job ids.")
    var jobs: [Int] = []

    @Flag(name: [.customShort("a"), .long], help: "Cancel every job that still runs.")
    var all = false

    @Flag(name: [.customShort("y"), .long], help: "Do not ask (cancel never asks; accepted for SkyPilot's scripts).")
    var yes = false

    func run() async throws {
        let code = try await CommandEnvironment.reportingErrors {
            let runner = try CommandEnvironment.runner()
            return try await JobControl(connector: runner.connector, output: runner.output).cancel(cluster: cluster, jobs: jobs, all: all)
        }
        throw ExitCode(code)
    }
}
