import ArgumentParser
import Foundation
import SwiftletController
import SwiftletTask

struct Status: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "List clusters, or a cluster's nodes with their agents' state.",
        discussion: "Clusters with an autostop are asked whether it fired, as SkyPilot asks them; --refresh asks every cluster's head node."
    ).underSwiftlet

    @Argument(help: "A cluster: show its nodes, asking each node's agent.")
    var cluster: String?

    @Flag(name: [.customShort("r"), .long], help: "Ask every cluster's head node how it is.")
    var refresh = false

    @Flag(help: "Print JSON.")
    var json = false

    func run() async throws {
        if let cluster {
            let code = try await CommandEnvironment.reportingErrors { try await showNodes(of: cluster) }
            throw ExitCode(code)
        }
        let home = SwiftletHome.fromEnvironment()
        let (clusters, unreadable) = ClusterStore(home: home).all()
        for problem in unreadable { Terminal.err("warning: \(problem)\n") }
        let summaries = try await Self.refreshed(clusters, all: refresh, home: home)
        if json {
            try Terminal.json(summaries)
            return
        }
        guard !summaries.isEmpty else {
            Terminal.out("No clusters.\n")
            return
        }
        let now = Int(Date().timeIntervalSince1970)
        var rows = [["NAME", "INFRA", "RESOURCES", "STATUS", "AUTOSTOP", "LAUNCHED", "LAST JOB"]]
        for cluster in summaries {
            let autostop =
                cluster.autostop < 0
                ? (cluster.toDown ? "(down)" : "-") : ClusterRecord.AutostopSetting(minutes: cluster.autostop, down: cluster.toDown).text
            let job = cluster.lastJobID == 0 ? "-" : "\(cluster.lastJobID) \(cluster.lastJobStatus ?? "")"
            rows.append(
                [
                    cluster.name, cluster.infra, cluster.resources ?? "-", cluster.status, autostop,
                    HumanTime.ago(now - cluster.launchedAt), job,
                ]
            )
        }
        Terminal.out(TextTable.render(rows))
    }

    /// The clusters as their head nodes say they are now: those with an autostop (every one
    /// with `all`) are asked, at once. One its autostop tore down is forgotten here too, and
    /// said so; one whose head does not answer shows INIT, and why is said.
    static func refreshed(_ clusters: [ClusterRecord], all: Bool, home: SwiftletHome) async throws -> [ClusterSummary] {
        let asked = clusters.filter { all || $0.autostop != nil }
        guard !asked.isEmpty else { return clusters.map { ClusterSummary($0) } }
        let refresh = ClusterRefresh(connector: try CommandEnvironment.runner().connector)
        let findings = await withTaskGroup(of: (String, ClusterRefresh.Finding).self) { group in
            for cluster in asked { group.addTask { (cluster.name, await refresh.refresh(cluster)) } }
            return await group.reduce(into: [String: ClusterRefresh.Finding]()) { $0[$1.0] = $1.1 }
        }
        var summaries: [ClusterSummary] = []
        for cluster in clusters {
            switch findings[cluster.name] {
            case .tornDown(let minutes):
                try? await Down.forgetHere(cluster.name, home: home)
                Terminal.err("Cluster '\(cluster.name)' was torn down by its autostop (idle \(minutes) minutes).\n")
            case .unreachable(let reason):
                Terminal.err("warning: cluster '\(cluster.name)': \(reason)\n")
                summaries.append(ClusterSummary(cluster, status: "INIT"))
            case .stopped:
                summaries.append(ClusterSummary(cluster, status: "STOPPED"))
            case .up:
                summaries.append(ClusterSummary(cluster, status: "UP"))
            case nil:
                summaries.append(ClusterSummary(cluster))
            }
        }
        return summaries
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
            try Terminal.json(nodes)
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
