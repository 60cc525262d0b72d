import ArgumentParser
import Foundation
import SwiftletController
import SwiftletTask

struct Exec: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "exec",
        abstract: "Run a task (without setup) or a command on an existing cluster.",
        discussion: """
            swiftlet exec CLUSTER task.yaml, or swiftlet exec CLUSTER python train.py --lr 1e-3 (a command run as \
            a task on the head node, as SkyPilot runs it): SkyPilot's exit codes (0, 100 failed, 101, 103 cancelled). \
            swiftlet exec CLUSTER -- COMMAND ARGS...: the command on every node, exiting with its own code, as ssh does.
            """
    ).underSwiftlet

    @Argument(help: "The cluster.")
    var cluster: String

    @OptionGroup var options: TaskOptions

    @Argument(
        parsing: .allUnrecognized,
        help: "A task YAML file, or a command (its words need no quotes); after -- a command for every node."
    )
    var words: [String] = []

    func validate() throws {
        _ = try Self.form(of: words)
    }

    func run() async throws {
        let form = try Self.form(of: words)
        let options = self.options
        let code = try await Self.execute(
            cluster: cluster,
            detach: options.detach,
            numNodes: options.numNodes
        ) {
            switch form {
            case .task(let words): try taskOrCommand(words)
            case .command(let words): try commandOnEveryNode(words)
            }
        }
        throw ExitCode(code)
    }

    /// What follows the cluster: SkyPilot's entrypoint (a task file, or a command run as a
    /// task; `--` inside it only ends the options, as with click), or `-- COMMAND` right after
    /// the cluster and the options, the ssh-like form.
    enum Form: Equatable {
        case task([String])
        case command([String])
    }

    static func form(of words: [String]) throws -> Form {
        guard let terminator = words.firstIndex(of: "--") else {
            guard !words.isEmpty else { throw ValidationError("give a task file or a command: swiftlet exec CLUSTER -- COMMAND") }
            return .task(words)
        }
        let after = Array(words[(terminator + 1)...])
        if terminator == 0 {
            guard !after.isEmpty else { throw ValidationError("give a command after --: swiftlet exec CLUSTER -- COMMAND") }
            return mayNameTask(after) ? .task(after) : .command(after)
        }
        return .task(Array(words[..<terminator]) + after)
    }

    /// Runs what `work` reads (a task, or a command as a task) on `cluster`; returns the exit code.
    static func execute(
        cluster: String,
        detach: Bool = false,
        numNodes: Int? = nil,
        _ work: () throws -> (TaskSpec, isTask: Bool)
    ) async throws -> Int32 {
        try await CommandEnvironment.reportingErrors {
            let (spec, isTask) = try work()
            let forwardStdin = !detach && !Terminal.stdinIsTerminal
            let runner = try CommandEnvironment.runner()
            // A task runs on its num_nodes (a command given as a task on one node, the head); a
            // command after -- on every node of the cluster, exiting with its own code.
            let nodeCount = numNodes ?? (isTask ? spec.numNodes : nil)
            var job = JobRunner.Job(
                task: spec,
                runSetup: false,
                detach: detach,
                forwardStdin: forwardStdin,
                nodeCount: nodeCount
            )
            job.style = isTask ? .task : .command
            let request = DetachRequest()
            job.detachRequest = request
            return try await InterruptPolicy.detach(request).run { [job] in try await runner.exec(job, cluster: cluster) }
        }
    }
}

/// `swiftlet exec CLUSTER -- COMMAND ...` with no options, the hot path of scripts and editors,
/// read without ArgumentParser: its first parse cost 1.5 ms of a 14 ms warm round trip (the
/// runtime's conformance lookups; `bench/ab-exec.sh`). Anything else (options, a task file, `--help`) is left to
/// ``Exec``, which reads this shape the same way.
struct PlainExec {
    let cluster: String
    let command: [String]

    init?(arguments: [String]) {
        guard arguments.count >= 4, arguments[0] == "exec", arguments[2] == "--", !arguments[1].hasPrefix("-") else { return nil }
        let command = Array(arguments[3...])
        // One word that may name a task file: Exec reads it.
        if Exec.mayNameTask(command) { return nil }
        self.cluster = arguments[1]
        self.command = command
    }

    func run() async throws -> Int32 {
        try await Exec.execute(cluster: cluster) { (Exec.commandTask(command), false) }
    }
}

extension Exec {
    /// A single `.yaml` argument that exists is a task file; anything else a command run as a
    /// task (on one node unless --num-nodes, with SkyPilot's exit codes).
    func taskOrCommand(_ words: [String]) throws -> (TaskSpec, isTask: Bool) {
        if Self.mayNameTask(words), FileManager.default.fileExists(atPath: words[0]) {
            return (try options.loadTask(words[0]), true)
        }
        let task = Self.commandTask(words, envs: try options.environmentOverrides(), secrets: try options.secretOverrides())
        return (try options.applied(to: task), true)
    }

    /// A command after `--`: ssh's form, on every node, exiting with its own code.
    func commandOnEveryNode(_ words: [String]) throws -> (TaskSpec, isTask: Bool) {
        let task = Self.commandTask(words, envs: try options.environmentOverrides(), secrets: try options.secretOverrides())
        return (try options.applied(to: task), false)
    }

    /// Whether `words` could name a task file: one word ending in `.yaml` or `.yml`.
    static func mayNameTask(_ words: [String]) -> Bool {
        words.count == 1 && (words[0].hasSuffix(".yaml") || words[0].hasSuffix(".yml"))
    }

    /// A task that runs `words` as a shell command with `envs` and `secrets`.
    static func commandTask(_ words: [String], envs: [String: String] = [:], secrets: [String: String] = [:]) -> TaskSpec {
        var spec = TaskSpec()
        spec.run = words.joined(separator: " ")
        for (key, value) in envs.sorted(by: { $0.key < $1.key }) {
            spec.envs.append(.init(key: key, value: value))
        }
        for (key, value) in secrets.sorted(by: { $0.key < $1.key }) {
            spec.secrets.append(.init(key: key, value: value))
        }
        return spec
    }
}
