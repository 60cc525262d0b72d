import ArgumentParser
import Foundation
import SwiftletController
import SwiftletTask

struct Swiftlet: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "swiftlet",
        abstract: "Run SkyPilot tasks on machines you already have.",
        subcommands: [Launch.self, Exec.self, Logs.self, Status.self, Down.self, Validate.self, Version.self, Keeper.self]
    )
}

/// Options shared by the commands that run a task.
struct TaskOptions: ParsableArguments {
    @Option(name: .customLong("env"), help: "Set or fill an env var of the task (KEY=VALUE).")
    var envs: [String] = []

    @Option(name: .customLong("secret"), help: "Set or fill a secret of the task (KEY=VALUE).")
    var secrets: [String] = []

    @Flag(name: [.customShort("d"), .long], help: "Return once the job started; it keeps running on the cluster.")
    var detach = false

    @Option(help: "How many nodes run the job (launch: the cluster's size; default: the task's num_nodes).")
    var numNodes: Int?

    func overrides(_ values: [String], flag: String) throws -> [String: String] {
        var result: [String: String] = [:]
        for value in values {
            guard let equals = value.firstIndex(of: "="), equals != value.startIndex else {
                throw ValidationError("\(flag) expects KEY=VALUE, got '\(value)'")
            }
            result[String(value[..<equals])] = String(value[value.index(after: equals)...])
        }
        return result
    }

    func loadTask(_ path: String, quiet: Bool = false) throws -> TaskSpec {
        let task = try TaskLoader.load(
            path: path,
            envOverrides: overrides(envs, flag: "--env"),
            secretOverrides: overrides(secrets, flag: "--secret")
        )
        if !task.ignoredFields.isEmpty && !quiet {
            Terminal.err("Note: \(path): fields not acted on by Swiftlet: \(task.ignoredFields.joined(separator: ", ")).\n")
        }
        return task
    }
}

struct Launch: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Bring up a cluster (or reuse it) and run a task on it.")

    @Argument(help: "The task YAML file.")
    var task: String

    @Option(name: [.customShort("c"), .customLong("cluster")], help: "Cluster name (created if new).")
    var cluster: String?

    @Option(help: "Where the nodes come from: local or ssh/POOL.")
    var infra: String?

    @OptionGroup var options: TaskOptions

    func run() async throws {
        let code = try await CommandEnvironment.reportingErrors {
            let spec = try options.loadTask(task)
            let infra = try self.infra.map(Infra.init(parsing:))
            let name = cluster ?? "swiftlet-" + String(UUID().uuidString.prefix(4)).lowercased()
            let runner = try CommandEnvironment.runner()
            CommandEnvironment.detachOnInterrupt()
            let job = JobRunner.Job(task: spec, runSetup: true, detach: options.detach, nodeCount: options.numNodes)
            return try await runner.launch(job, cluster: name, infra: infra)
        }
        throw ExitCode(code)
    }
}

struct Exec: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a task (without setup) or a command on an existing cluster.",
        discussion: "swiftlet exec CLUSTER task.yaml   or   swiftlet exec CLUSTER -- COMMAND ARGS..."
    )

    @Argument(help: "The cluster.")
    var cluster: String

    @OptionGroup var options: TaskOptions

    @Argument(help: "A task YAML file.")
    var task: String?

    @Argument(parsing: .postTerminator, help: "A command to run instead of a task, after --.")
    var command: [String] = []

    func run() async throws {
        let words = task.map { [$0] + command } ?? command
        guard !words.isEmpty else { throw ValidationError("give a task file or a command: swiftlet exec CLUSTER -- COMMAND") }
        let code = try await CommandEnvironment.reportingErrors {
            let (spec, isTask) = try taskOrCommand(words)
            let forwardStdin = !options.detach && !Terminal.stdinIsTerminal
            let runner = try CommandEnvironment.runner()
            CommandEnvironment.detachOnInterrupt()
            // A task runs on its num_nodes; a bare command on every node of the cluster.
            let nodeCount = options.numNodes ?? (isTask ? spec.numNodes : nil)
            let job = JobRunner.Job(task: spec, runSetup: false, detach: options.detach, forwardStdin: forwardStdin, nodeCount: nodeCount)
            return try await runner.exec(job, cluster: cluster)
        }
        throw ExitCode(code)
    }
}

extension Exec {
    /// A single `.yaml` argument that exists is a task; anything else is a shell command.
    func taskOrCommand(_ words: [String]) throws -> (TaskSpec, isTask: Bool) {
        if words.count == 1, words[0].hasSuffix(".yaml") || words[0].hasSuffix(".yml"), FileManager.default.fileExists(atPath: words[0]) {
            return (try options.loadTask(words[0]), true)
        }
        var spec = TaskSpec()
        spec.run = words.joined(separator: " ")
        for (key, value) in try options.overrides(options.envs, flag: "--env").sorted(by: { $0.key < $1.key }) {
            spec.envs.append(.init(key: key, value: value))
        }
        return (spec, false)
    }
}

struct Logs: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show a job's output from the nodes' log files (default: the last job), following it while it runs.",
        discussion: "Exit codes: 0 succeeded, 100 failed, 101 not finished (--no-follow), 102 not found. Ctrl-C stops following; the job goes on."
    )

    @Argument(help: "The cluster.")
    var cluster: String

    @Argument(help: "The job id (default: the last job).")
    var job: Int?

    @Flag(help: "Print what is there and return instead of following.")
    var noFollow = false

    func run() async throws {
        let code = try await CommandEnvironment.reportingErrors {
            let runner = try CommandEnvironment.runner()
            return try await JobLogs(connector: runner.connector).show(cluster: cluster, job: job, follow: !noFollow)
        }
        throw ExitCode(code)
    }
}

struct Status: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List clusters.")

    @Flag(help: "Print JSON.")
    var json = false

    func run() throws {
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

struct Down: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Tear a cluster down and forget it.")

    @Argument(help: "The cluster.")
    var cluster: String

    func run() async throws {
        let home = SwiftletHome.fromEnvironment()
        let code = try await CommandEnvironment.reportingErrors {
            try await ClusterTeardown(home: home).down(cluster)
            Terminal.err("Cluster '\(cluster)' is down.\n")
            return 0
        }
        throw ExitCode(code)
    }
}

struct Validate: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Check a task file and print how Swiftlet reads it.")

    @Argument(help: "The task YAML file.")
    var task: String

    @Flag(help: "Print the normalized task as JSON (SkyPilot's reading, field for field).")
    var json = false

    @OptionGroup var options: TaskOptions

    func run() throws {
        do {
            let spec = try options.loadTask(task, quiet: json)
            if json {
                Terminal.out(spec.normalized.text + "\n")
            } else {
                Terminal.out("\(task): valid task '\(spec.name ?? "(unnamed)")', \(spec.numNodes) node(s)\n")
            }
        } catch let error as TaskError {
            Terminal.err("error: \(error)\n")
            throw ExitCode(2)
        }
    }
}

struct Version: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print the controller and agent versions.")

    func run() throws {
        let agent = try AgentBinary.locate(home: .fromEnvironment())
        Terminal.out("swiftlet \(SwiftletVersion.current)\nagent \(agent.path) sha256 \(agent.sha256)\n")
    }
}

/// The background process that keeps one node's agent connection for later commands.
struct Keeper: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Keep a node's agent connection open for later commands (started by swiftlet itself).",
        shouldDisplay: false
    )

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
        let code = await ConnectionKeeper.run(connector: connector, address: node, name: name, idle: .seconds(idle)) { line in
            Terminal.out(line + "\n")
            // Nothing else may reach the starter, which reads exactly one line.
            let null = open("/dev/null", O_WRONLY)
            dup2(null, 1)
            close(null)
        }
        throw ExitCode(code)
    }
}
