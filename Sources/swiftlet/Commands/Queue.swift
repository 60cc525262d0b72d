import ArgumentParser
import Foundation
import SwiftletController
import SwiftletTask

struct Queue: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "queue",
        abstract: "List a cluster's jobs and their states, newest first."
    ).underSwiftlet

    @Argument(help: "The cluster.")
    var cluster: String

    @Flag(
        name: [.customShort("a"), .long],
        help: "Every job; by default finished jobs beyond the newest \(Queue.recentFinished) are left out."
    )
    var all = false

    @Flag(help: "Print JSON.")
    var json = false

    static let recentFinished = 20

    func run() async throws {
        let code = try await CommandEnvironment.reportingErrors {
            let runner = try CommandEnvironment.runner()
            var jobs = try await JobControl(connector: runner.connector, output: runner.output).queue(cluster: cluster)
            if !all {
                let finished = Set(jobs.filter { $0.ended != nil }.prefix(Self.recentFinished).map(\.id))
                jobs = jobs.filter { $0.ended == nil || finished.contains($0.id) }
            }
            if json {
                try Terminal.json(jobs)
            } else if jobs.isEmpty {
                Terminal.out("No jobs on '\(cluster)'.\n")
            } else {
                let now = Int(Date().timeIntervalSince1970)
                let header = ["ID", "NAME", "SUBMITTED", "STARTED", "DURATION", "RESOURCES", "STATUS", "LOG", "EXIT CODES"]
                let rows = [header] + jobs.map { Self.row($0, now: now) }
                Terminal.out(TextTable.render(rows))
            }
            return 0
        }
        throw ExitCode(code)
    }
}

extension Queue {
    static func row(_ job: JobControl.JobSummary, now: Int) -> [String] {
        let submitted: String = job.submitted.map { HumanTime.ago(now - $0) } ?? "-"
        let started: String = job.started.map { HumanTime.ago(now - $0) } ?? "-"
        let codes: String = job.exitCodes.map { $0 < 0 ? "-" : String($0) }.joined(separator: ",")
        return [String(job.id), job.name ?? "-", submitted, started, duration(job, now: now), job.resources, job.state, job.logPath, codes]
    }

    /// From its start to its end (or to now, while it runs); `-` before it started.
    static func duration(_ job: JobControl.JobSummary, now: Int) -> String {
        guard let start = job.started else { return "-" }
        return HumanTime.duration((job.ended ?? now) - start)
    }
}
