import ArgumentParser
import Foundation
import SwiftletController
import SwiftletTask

/// The background process that holds a detached multi-node job's gang until it ends.
struct Supervise: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "supervise",
        abstract: "Hold a detached multi-node job's gang until it ends (started by swiftlet itself).",
        shouldDisplay: false
    ).underSwiftlet

    @Option(help: "The job's description, as 'launch -d' wrote it.")
    var spec: String

    func run() async throws {
        let gang = try JSONDecoder().decode(DetachedGang.self, from: Data(contentsOf: URL(fileURLWithPath: spec)))
        // It holds the task's envs and secrets: kept on disk no longer than it takes to read it.
        unlink(spec)
        // The nodes keep every byte in the job's logs: this log need not grow without bound.
        let output = BoundedOutput(
            HelperLogOutput(),
            limit: 64 << 20,
            note: "(this log stops at 64 MiB: 'swiftlet logs \(gang.cluster) \(gang.jobID)' shows all of the job's output)"
        )
        let code = await gang.supervise(connector: try CommandEnvironment.runner().connector, output: output) { line in
            Terminal.out(line + "\n")
            // The starter reads exactly one line; the rest joins the log, which is stderr.
            dup2(2, 1)
        }
        throw ExitCode(code)
    }
}
