import ArgumentParser
import Foundation
import SwiftletController
import SwiftletTask

struct Status: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "List clusters, or a cluster's nodes with their agents' state."
    ).underSwiftlet

    @Argument(help: "A cluster: show its nodes, asking each node's agent.")
    var cluster: String?

    @Flag(help: "Print JSON.")
    var json = false

    func run() async throws {
        if let cluster {
            let code = try await CommandEnvironment.reportingErrors { try await showNodes(of: cluster) }
            throw ExitCode(code)
        }
        let store = ClusterStore(home: .fromEnvironment())
        let (clusters, unreadable) = store.all()
        for problem in unreadable { Terminal.err("warning: \(problem)\n") }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            Terminal.out(String(decoding: try encoder.encode(clusters), as: UTF8.self) + "\n")
            return
        }
        guard !clusters.isEmpty else {
            Terminal.out("No clusters.\n")
            return
        }
        var rows = [["NAME", "INFRA", "NODES", "LAST JOB", "CREATED"]]
        for cluster in clusters {
            let job = cluster.lastJobID == 0 ? "-" : "\(cluster.lastJobID) \(cluster.lastJobStatus ?? "")"
            rows.append([cluster.name, cluster.infra.description, String(cluster.nodes.count), job, cluster.created])
        }
        Terminal.out(TextTable.render(rows))
    }
}

extension Status {
    /// Prints the cluster's nodes; exits 1 when a node could not be asked.
    func showNodes(of name: String) async throws -> Int32 {
        let runner = try CommandEnvironment.runner()
        guard let record = try runner.store.load(name) else {
            throw ControllerError("no cluster '\(name)'; see 'swiftlet status'")
        }
        let nodes = await NodeInspection(connector: runner.connector).nodes(of: record)
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            Terminal.out(String(decoding: try encoder.encode(nodes), as: UTF8.self) + "\n")
        } else {
            let inContainers = nodes.contains { $0.container != nil }
            var rows = [["NODE", "IP"] + (inContainers ? ["CONTAINER"] : []) + ["AGENT", "GPUS FREE", "CPUS FREE", "JOBS"]]
            for node in nodes {
                let container = inContainers ? ["\(node.container ?? "-") (\(node.image ?? "-"))"] : []
                guard let pid = node.pid else {
                    rows.append([node.name, node.ip] + container + ["unreachable: " + (node.error ?? ""), "-", "-", "-"])
                    continue
                }
                let agent = "\(node.mode ?? "") pid \(pid)\(node.systemd == true ? " (systemd)" : ""), since \(node.since ?? "")"
                rows.append(
                    [node.name, node.ip] + container + [
                        agent, "\(node.freeGPUs ?? 0)/\(node.gpus ?? 0)",
                        "\((node.freeCPUs ?? 0).formatted())/\((node.cpus ?? 0).formatted())",
                        "\(node.running ?? 0) running, \(node.pending ?? 0) pending",
                    ]
                )
            }
            Terminal.out(TextTable.render(rows))
        }
        return nodes.contains { $0.error != nil } ? 1 : 0
    }
}
