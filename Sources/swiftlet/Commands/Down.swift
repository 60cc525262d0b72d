import ArgumentParser
import Foundation
import SwiftletController
import SwiftletTask

struct Down: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "down",
        abstract: "Tear clusters down and forget them.",
        discussion: "On a terminal it asks first, as SkyPilot does, unless -y; from a script it does not ask."
    ).underSwiftlet

    @Argument(help: "The clusters.")
    var clusters: [String] = []

    @Flag(name: [.customShort("a"), .long], help: "Every cluster.")
    var all = false

    @Flag(name: [.customShort("y"), .long], help: "Do not ask.")
    var yes = false

    func validate() throws {
        guard clusters.isEmpty == all else {
            throw ValidationError(all ? "-a takes no cluster names" : "name a cluster (or several), or -a for every cluster")
        }
    }

    func run() async throws {
        let home = SwiftletHome.fromEnvironment()
        let names = all ? ClusterStore(home: home).all().clusters.map(\.name) : clusters
        guard !names.isEmpty else {
            Terminal.err("No clusters.\n")
            throw ExitCode(0)
        }
        if Terminal.stdinIsTerminal && !yes {
            Terminal.err("Tearing down \(names.count == 1 ? "cluster" : "clusters") \(names.joined(separator: ", ")). Proceed? [Y/n] ")
            let answer = (readLine() ?? "n").trimmingCharacters(in: .whitespaces).lowercased()
            guard answer.isEmpty || answer == "y" || answer == "yes" else {
                Terminal.err("Aborted.\n")
                throw ExitCode(1)
            }
        }
        var code: Int32 = 0
        for name in names {
            code = max(code, try await CommandEnvironment.reportingErrors { try await Self.down(name, home: home) })
        }
        throw ExitCode(code)
    }

    /// Stops the cluster's jobs, takes its files off the nodes, and forgets it.
    static func down(_ cluster: String, home: SwiftletHome) async throws -> Int32 {
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
        try await forgetHere(cluster, home: home)
        Terminal.err("Cluster '\(cluster)' is down.\n")
        return 0
    }

    /// What `down` does on this machine: releases the nodes' infra, forgets the record, the host
    /// key and the cluster's ssh host (also for a cluster its autostop tore down on the nodes).
    static func forgetHere(_ cluster: String, home: SwiftletHome) async throws {
        try await ClusterTeardown(home: home).down(cluster)
        SSHKeys(home: home).removeHostKey(cluster: cluster)
        CommandEnvironment.refreshSSHConfigOrWarn()
    }
}
