import Foundation
import SwiftletPOSIX

/// Wraps a cluster's hosts in containers of the task's image (`resources.image_id:
/// docker:IMAGE`): on each host, in parallel, the runtime logs in (the password on stdin only),
/// pulls when the image is missing or a login asks for a fresh copy, and starts the node's
/// long-lived container, or starts again the one an earlier launch left. Each container is then
/// a node of its own (``ContainerTransport``) that the agent is bootstrapped into.
public struct ContainerBringUp: Sendable {
    public var image: ContainerImage
    public var login: RegistryLogin?
    /// `SWIFTLET_CONTAINER_RUNTIME`; nil: podman if the node has it, else docker.
    public var runtime: ContainerRuntime?
    public var cluster: String
    public var home: SwiftletHome
    /// The agent each host keeps and lends its containers; set by the launch.
    public var agent: AgentBinary?
    /// The GPUs each container gets, as a job ticket writes the task's choices (`H100:8`);
    /// empty for none. The host's agent picks them among those no other container holds.
    public var gpus = ""

    public init(image: ContainerImage, login: RegistryLogin?, runtime: ContainerRuntime?, cluster: String, home: SwiftletHome) {
        self.image = image
        self.login = login
        self.runtime = runtime
        self.cluster = cluster
        self.home = home
    }

    /// What a host is doing for its container, as it happens.
    public enum Step: Sendable, Equatable {
        /// Pulling the image; `layers` fetched so far.
        case pulling(layers: Int)
        case starting
        case ready
    }

    /// One container per host, in host order. `report` hears each host's steps as they
    /// happen, for the person watching a slow pull.
    public func containers(
        on hosts: [NodeAddress],
        names: [String],
        report: @escaping @Sendable (_ node: String, _ step: Step) -> Void
    ) async throws -> [NodeAddress] {
        let results = await withTaskGroup(of: (Int, Result<ContainerTransport, any Error>).self) { group in
            for (rank, host) in hosts.enumerated() {
                group.addTask {
                    do {
                        return (rank, .success(try await container(on: host, rank: rank, node: names[rank], report: report)))
                    } catch {
                        return (rank, .failure(error))
                    }
                }
            }
            return await group.reduce(into: []) { $0.append($1) }.sorted { $0.0 < $1.0 }.map(\.1)
        }
        var made: [ContainerTransport] = []
        var firstFailure: (any Error)?
        for result in results {
            switch result {
            case .success(let container): made.append(container)
            case .failure(let error): firstFailure = firstFailure ?? error
            }
        }
        guard let firstFailure else { return made.map { NodeAddress($0) } }
        // A cluster that did not come up whole leaves no container behind.
        await withTaskGroup(of: Void.self) { group in
            for container in made { group.addTask { await container.remove(cluster: cluster, home: home) } }
        }
        throw firstFailure
    }

    /// The container of `rank` on `host`, brought up.
    func container(
        on host: NodeAddress,
        rank: Int,
        node: String,
        report: @escaping @Sendable (String, Step) -> Void
    ) async throws -> ContainerTransport {
        let name = Self.containerName(cluster: cluster, rank: rank, home: home)
        let lent = agent.map { ContainerScript.Agent(sha256: $0.sha256, size: $0.size, architecture: $0.architecture) }
        let script = ContainerScript.bringUp(
            runtime: runtime,
            container: name,
            cluster: cluster,
            image: image,
            login: login,
            agent: lent,
            gpus: gpus
        )
        let (agent, password) = (agent, login?.passwordForStandardInput ?? [])
        let result = try await HostCommand.run(script, on: host, home: home) { line -> [UInt8]? in
            switch Self.said(line) {
            case ("agent", "needed"):
                // Read now. A binary rebuilt meanwhile (another size) is not sent: the snippet
                // then finds its input short and says the agent arrived damaged.
                guard let agent, let bytes = FileManager.default.contents(atPath: agent.path), bytes.count == agent.size else { return [] }
                return [UInt8](bytes) + password
            case ("agent", _): return password
            case ("pulling", _): report(node, .pulling(layers: 0))
            case ("layer", let count): report(node, .pulling(layers: Int(count) ?? 0))
            case ("starting", _): report(node, .starting)
            case ("ready", _): report(node, .ready)
            default: break
            }
            return nil
        }
        let said = result.lines.map(Self.said)
        if let failure = said.first(where: { $0.verb == "error" }) {
            throw NodeError(node: node, step: "container", explain(failure.text))
        }
        guard said.contains(where: { $0.verb == "ready" }), let chosen = said.first(where: { $0.verb == "runtime" }),
            let runtime = ContainerRuntime(rawValue: chosen.text)
        else {
            let detail = result.stderr.split(separator: "\n").suffix(3).joined(separator: "; ")
            let ended = result.status.map { "\($0)" } ?? "did not end"
            throw NodeError(node: node, step: "container", "the host did not bring the container up (\(ended)): \(redacted(detail))")
        }
        let workingDirectory = said.first { $0.verb == "workdir" }?.text ?? ""
        return ContainerTransport(
            runtime: runtime,
            container: name,
            image: image.reference,
            host: host,
            workingDirectory: workingDirectory.isEmpty || workingDirectory == "/" ? nil : workingDirectory
        )
    }

    /// A line of the bring-up snippet as its verb and the rest; other lines (a login banner)
    /// have no verb.
    static func said(_ line: String) -> (verb: String, text: String) {
        guard line.hasPrefix(ContainerScript.linePrefix) else { return ("", line) }
        let words = line.dropFirst(ContainerScript.linePrefix.count).split(separator: " ", maxSplits: 1)
        return (words.first.map(String.init) ?? "", words.count > 1 ? String(words[1]) : "")
    }

    /// An error line as a person can act on it.
    func explain(_ text: String) -> String {
        let kind = text.split(separator: " ", maxSplits: 1).first.map(String.init) ?? ""
        let detail = redacted(String(text.dropFirst(kind.count)).trimmingCharacters(in: .whitespaces))
        let lowered = detail.lowercased()
        switch kind {
        case "runtime":
            return "\(detail) (install one, or name it with SWIFTLET_CONTAINER_RUNTIME=podman|docker)"
        case "login":
            let refused = lowered.contains("401") || lowered.contains("unauthorized") || lowered.contains("invalid username/password")
            let what = refused ? "the registry refused the username or password" : detail
            return "registry login to \(login?.server ?? "?") as \(login?.username ?? "?") failed: \(what)"
                + (refused ? " (\(detail))" : "")
        case "other-image":
            return "the cluster's container runs \(detail), the task asks for \(image); "
                + "take the cluster down first ('swiftlet down \(cluster)') or use another -c name"
        case "pull":
            if lowered.contains("no space left") { return "the node's disk is full: cannot pull \(image) (\(detail))" }
            if lowered.contains("unauthorized") || lowered.contains("authentication required") {
                return "cannot pull \(image): the registry wants a login (set SKYPILOT_DOCKER_USERNAME, "
                    + "SKYPILOT_DOCKER_PASSWORD and SKYPILOT_DOCKER_SERVER) (\(detail))"
            }
            if lowered.contains("manifest unknown") || lowered.contains("not found") || lowered.contains("does not exist") {
                return "no image \(image) in its registry: check the name and tag (\(detail))"
            }
            return "cannot pull \(image): \(detail)"
        case "run", "start":
            return "cannot start a container of \(image): \(detail)"
        case "gpus":
            return "cannot give the container its GPUs: \(detail)"
        default:
            return detail
        }
    }

    /// `text` with the password, should a runtime ever echo it, replaced.
    private func redacted(_ text: String) -> String {
        login.map { $0.redacting(text) } ?? text
    }

    /// The container of `rank` of `cluster` for the controller at `home`: two controllers
    /// that use one cluster name on one host never share a container.
    static func containerName(cluster: String, rank: Int, home: SwiftletHome) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in home.path.utf8 {
            hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3
        }
        let suffix = String(hash, radix: 16).suffix(8)
        return "swiftlet-\(cluster)-\(rank)-\(suffix)"
    }
}
