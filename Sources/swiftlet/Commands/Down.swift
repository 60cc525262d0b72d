import ArgumentParser
import Foundation
import SwiftletController
import SwiftletTask

struct Down: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "down",
        abstract: "Tear a cluster down and forget it."
    ).underSwiftlet

    @Argument(help: "The cluster.")
    var cluster: String

    func run() async throws {
        let home = SwiftletHome.fromEnvironment()
        let code = try await CommandEnvironment.reportingErrors {
            // Jobs still running on the nodes stop with the cluster (a node that cannot be reached
            // is named, and the cluster is forgotten anyway).
            if let runner = try? CommandEnvironment.runner(), (try? runner.store.load(cluster)) != nil {
                let control = JobControl(connector: runner.connector, output: runner.output)
                do {
                    _ = try await control.cancel(cluster: cluster, jobs: [], all: true, quiet: true)
                } catch {
                    Terminal.err("warning: could not stop the jobs of '\(cluster)': \(error)\n")
                }
                for problem in await control.forget(cluster: cluster) {
                    Terminal.err("warning: the job files of '\(cluster)' stay on \(problem)\n")
                }
            }
            try await ClusterTeardown(home: home).down(cluster)
            SSHKeys(home: home).removeHostKey(cluster: cluster)
            CommandEnvironment.refreshSSHConfigOrWarn()
            Terminal.err("Cluster '\(cluster)' is down.\n")
            return 0
        }
        throw ExitCode(code)
    }
}
