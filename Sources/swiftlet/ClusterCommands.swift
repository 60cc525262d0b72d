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
        let clusters = try store.all()
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
            rows.append([cluster.name, cluster.infra, String(cluster.nodes.count), job, cluster.created])
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
            var rows = [["NODE", "IP", "AGENT", "GPUS FREE", "CPUS FREE", "JOBS"]]
            for node in nodes {
                guard let pid = node.pid else {
                    rows.append([node.name, node.ip, "unreachable: " + (node.error ?? ""), "-", "-", "-"])
                    continue
                }
                let agent = "\(node.mode ?? "") pid \(pid)\(node.systemd == true ? " (systemd)" : ""), since \(node.since ?? "")"
                rows.append([
                    node.name, node.ip, agent, "\(node.freeGPUs ?? 0)/\(node.gpus ?? 0)",
                    "\((node.freeCPUs ?? 0).formatted())/\((node.cpus ?? 0).formatted())",
                    "\(node.running ?? 0) running, \(node.pending ?? 0) pending",
                ])
            }
            Terminal.out(TextTable.render(rows))
        }
        return nodes.contains { $0.error != nil } ? 1 : 0
    }
}

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
                do {
                    _ = try await JobControl(connector: runner.connector).cancel(cluster: cluster, jobs: [], all: true, quiet: true)
                } catch {
                    Terminal.err("warning: could not stop the jobs of '\(cluster)': \(error)\n")
                }
            }
            try await ClusterTeardown(home: home).down(cluster)
            Terminal.err("Cluster '\(cluster)' is down.\n")
            return 0
        }
        throw ExitCode(code)
    }
}

struct Version: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "version",
        abstract: "Print the controller and agent versions."
    ).underSwiftlet

    func run() throws {
        let agent = try AgentBinary.locate(home: .fromEnvironment())
        Terminal.out("swiftlet \(SwiftletVersion.current)\nagent \(agent.path) sha256 \(agent.sha256)\n")
    }
}

/// The background process that keeps one node's agent connection for later commands.
struct Keeper: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keeper",
        abstract: "Keep a node's agent connection open for later commands (started by swiftlet itself).",
        shouldDisplay: false
    ).underSwiftlet

    @Option(help: "The node address, as JSON.")
    var address: String

    @Option(help: "How errors name the node.")
    var name: String

    @Option(help: "Seconds without clients before exiting.")
    var idle: Int = 300

    func run() async throws {
        let home = SwiftletHome.fromEnvironment()
        let node = try JSONDecoder().decode(NodeAddress.self, from: Data(address.utf8))
        let connector = NodeConnector(home: home, binary: try AgentBinary.locate(home: home))
        // Spare lanes kept ready (`$SWIFTLET_LANES`, default 1; 0 relays every client).
        let lanes = ProcessInfo.processInfo.environment["SWIFTLET_LANES"].flatMap { Int($0) } ?? 1
        let code = await ConnectionKeeper.run(connector: connector, address: node, name: name, idle: .seconds(idle), spareLanes: lanes) {
            line in
            Terminal.out(line + "\n")
            // Nothing else may reach the starter, which reads exactly one line.
            let null = open("/dev/null", O_WRONLY)
            dup2(null, 1)
            close(null)
        }
        throw ExitCode(code)
    }
}

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
        let code = await gang.supervise(connector: try CommandEnvironment.runner().connector) { line in
            Terminal.out(line + "\n")
            // The starter reads exactly one line; the rest joins the log, which is stderr.
            dup2(2, 1)
        }
        throw ExitCode(code)
    }
}
