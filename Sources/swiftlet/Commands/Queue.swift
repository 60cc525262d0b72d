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
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                Terminal.out(String(decoding: try encoder.encode(jobs), as: UTF8.self) + "\n")
            } else if jobs.isEmpty {
                Terminal.out("No jobs on '\(cluster)'.\n")
            } else {
                let rows =
                    [["ID", "NAME", "SUBMITTED", "DURATION", "RESOURCES", "STATE", "EXIT CODES"]]
                    + jobs.map { job in
                        [
                            String(job.id), job.name ?? "-", job.submitted.map(Self.shortTime) ?? "-", Self.duration(job),
                            Self.resources(job), job.state, job.exitCodes.map(String.init).joined(separator: ","),
                        ]
                    }
                Terminal.out(TextTable.render(rows))
            }
            return 0
        }
        throw ExitCode(code)
    }
}

extension Queue {
    /// `2026-11-22T20:52:58Z` -> `2026-11-22 20:52:58`.
    static func shortTime(_ iso: String) -> String {
        String(iso.replacingOccurrences(of: "T", with: " ").dropLast())
    }

    static func duration(_ job: JobControl.JobSummary) -> String {
        let formatter = ISO8601DateFormatter()
        guard let start = job.started.flatMap(formatter.date(from:)) else { return "-" }
        let end = job.ended.flatMap(formatter.date(from:)) ?? Date()
        let seconds = Int(end.timeIntervalSince(start))
        return seconds < 60
            ? "\(seconds)s" : seconds < 3600 ? "\(seconds / 60)m \(seconds % 60)s" : "\(seconds / 3600)h \(seconds / 60 % 60)m"
    }

    static func resources(_ job: JobControl.JobSummary) -> String {
        var parts: [String] = []
        if job.gpus > 0 { parts.append("\(job.gpus) GPU") }
        if job.cpus > 0 { parts.append("\(job.cpus.formatted()) CPU") }
        return parts.isEmpty ? "-" : parts.joined(separator: ", ")
    }
}
