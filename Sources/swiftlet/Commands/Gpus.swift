import ArgumentParser
import Foundation
import SwiftletController

struct Gpus: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gpus",
        abstract: "Each node's GPUs, free and in use: of a cluster, or of every host an infra has."
    ).underSwiftlet

    @Argument(help: "A cluster: its nodes' GPUs.")
    var cluster: String?

    @Option(help: "An infra instead of a cluster: every host of an SSH pool (ssh/POOL), or this machine (local).")
    var infra: String?

    @Flag(help: "Print JSON.")
    var json = false

    func validate() throws {
        guard (cluster == nil) != (infra == nil) else {
            throw ValidationError("name a cluster or --infra ssh/POOL (one of them)")
        }
    }

    func run() async throws {
        let code = try await CommandEnvironment.reportingErrors {
            let runner = try CommandEnvironment.runner()
            let addresses: [NodeAddress]
            if let cluster {
                guard let record = try runner.store.load(cluster) else {
                    throw ControllerError("no cluster '\(cluster)'; see 'swiftlet status'")
                }
                addresses = record.nodes
            } else {
                addresses = try await Infra(parsing: infra ?? "").provider().allNodes(home: runner.home)
            }
            let nodes = await NodeInspection(connector: runner.connector).nodes(addresses)
            if json {
                try Terminal.json(nodes)
            } else {
                Terminal.out(TextTable.render(Self.rows(nodes)))
            }
            return nodes.contains { $0.error != nil } ? 1 : 0
        }
        throw ExitCode(code)
    }

    /// One row per GPU; a node without GPUs, or that could not be asked, in one row.
    static func rows(_ nodes: [NodeInspection.Node]) -> [[String]] {
        var rows = [["NODE", "GPU", "MODEL", "MEMORY", "IN USE", "UUID"]]
        for node in nodes {
            guard let gpus = node.gpuList else {
                rows.append([node.name, "-", "unreachable: \(node.error ?? "")", "-", "-", "-"])
                continue
            }
            guard !gpus.isEmpty else {
                rows.append([node.name, "-", "no GPUs" + (node.gpuGrantedBy.map { " (limited by \($0))" } ?? ""), "-", "-", "-"])
                continue
            }
            for gpu in gpus {
                let use = gpu.inUse == 0 ? "free" : gpu.inUse >= 1 ? "in use" : "\(gpu.inUse.formatted()) in use"
                rows.append([
                    node.name, String(gpu.index), gpu.model.isEmpty ? "-" : gpu.model,
                    gpu.memoryMiB.map { "\(($0 + 512) / 1024) GiB" } ?? "-", use, gpu.uuid.isEmpty ? "-" : gpu.uuid,
                ])
            }
        }
        return rows
    }
}
