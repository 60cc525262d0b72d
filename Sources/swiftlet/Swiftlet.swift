import ArgumentParser
import Foundation
import SwiftletController
import SwiftletTask

struct Swiftlet: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "swiftlet",
        abstract: "Run SkyPilot tasks on machines you already have.",
        version: SwiftletVersion.current,
        subcommands: [
            Launch.self, Exec.self, Shell.self, Forward.self, Logs.self, Queue.self, Cancel.self, Status.self, Gpus.self, Down.self,
            Autostop.self,
            Validate.self, Proxy.self, SSHConfig.self,
            Version.self,
            Keeper.self,
            Supervise.self,
        ]
    )
}

/// Options shared by the commands that run a task.
struct TaskOptions: ParsableArguments {
    @Option(name: .customLong("env"), help: "Set or fill an env var of the task (KEY=VALUE, or KEY to take it from this environment).")
    var envs: [String] = []

    @Option(
        name: .customLong("secret"),
        help: "Set or fill a secret of the task (KEY to take it from this environment, out of sight of ps; or KEY=VALUE)."
    )
    var secrets: [String] = []

    @Option(name: .customLong("env-file"), help: "Env vars of the task from a dotenv file (KEY=VALUE lines); --env wins over it.")
    var envFile: String?

    @Option(name: .customLong("secret-file"), help: "Secrets of the task from a dotenv file; --secret wins over it.")
    var secretFile: String?

    @Option(name: [.customShort("n"), .long], help: "The task's name, instead of the file's.")
    var name: String?

    @Option(help: "The directory synced to ~/sky_workdir, instead of the task's workdir.")
    var workdir: String?

    @Option(help: "A git repository as the workdir (GIT_TOKEN or GIT_SSH_KEY_PATH from this environment for a private one).")
    var gitURL: String?

    @Option(help: "The branch, tag or commit of the git workdir.")
    var gitRef: String?

    @Flag(name: [.customShort("d"), .long], help: "Return once the job started; it keeps running on the cluster.")
    var detach = false

    @Flag(name: [.customShort("y"), .long], help: "Do not ask (Swiftlet does not ask here; accepted for SkyPilot's scripts).")
    var yes = false

    @Option(help: "How many nodes run the job (launch: the cluster's size; default: the task's num_nodes).")
    var numNodes: Int?

    @Option(
        help:
            "CPUs the job needs on each node, instead of the task's cpus: N or N+ (at least); it waits in the node's queue until they are free."
    )
    var cpus: String?

    @Option(help: "Memory each node must have, instead of the task's memory: GB (32, 32+) or with a unit (512MB, 1TB).")
    var memory: String?

    @Option(help: "GPUs each node gives the job, instead of the task's accelerators: NAME:COUNT (H100:8, A100:0.5) or NAME.")
    var gpus: String?

    /// `spec` with what the flags replace: its name, workdir, accelerators, CPUs and memory.
    func applied(to spec: TaskSpec) throws -> TaskSpec {
        var spec = try withGPUs(spec)
        var resources = spec.resources
        if let cpus { resources.cpus = try quantity(cpus, flag: "--cpus", read: ResourceQuantity.cpus) }
        if let memory { resources.memory = try quantity(memory, flag: "--memory", read: ResourceQuantity.memory) }
        if cpus != nil || memory != nil { spec.resources = resources }
        if let name { spec.name = name }
        // As SkyPilot's update_workdir: a path replaces the workdir; a url or ref updates a git
        // workdir, or makes one.
        if workdir == nil, var git = spec.gitWorkdir {
            if let gitURL { git.url = gitURL }
            if let gitRef { git.ref = gitRef }
            spec.gitWorkdir = git
        } else if workdir == nil, let gitURL {
            spec.workdir = nil
            spec.gitWorkdir = .init(url: gitURL, ref: gitRef)
        }
        if let workdir {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: workdir, isDirectory: &isDirectory), isDirectory.boolValue else {
                throw ValidationError("--workdir \(workdir): no such directory")
            }
            spec.workdir = workdir
            spec.gitWorkdir = nil
        }
        return spec
    }

    /// `spec` with ``gpus`` as its accelerators, as SkyPilot's `--gpus` replaces them.
    func withGPUs(_ spec: TaskSpec) throws -> TaskSpec {
        guard let gpus else { return spec }
        let parts = gpus.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
        let count = parts.count == 2 ? Double(parts[1]) : 1
        guard let name = parts.first, !name.isEmpty, let count, count > 0, count <= 1024 else {
            throw ValidationError("--gpus expects NAME or NAME:COUNT with a positive count (H100:8, A100:0.5), got '\(gpus)'")
        }
        var spec = spec
        var resources = spec.resources
        resources.accelerators = [String(name): count]
        spec.resources = resources
        return spec
    }

    func validate() throws {
        if let cpus { _ = try quantity(cpus, flag: "--cpus", read: ResourceQuantity.cpus) }
        if let memory { _ = try quantity(memory, flag: "--memory", read: ResourceQuantity.memory) }
    }

    /// A `--cpus` or `--memory` amount in SkyPilot's forms, normalised as it normalises them.
    private func quantity(
        _ text: String,
        flag: String,
        read: (String) throws(ResourceQuantity.Invalid) -> ResourceQuantity
    ) throws -> String {
        do {
            return try read(text).text
        } catch {
            throw ValidationError("\(flag): \(error.message)")
        }
    }

    /// `KEY=VALUE`, or `KEY` alone for the value this process's environment has, as SkyPilot
    /// reads `--env` and `--secret`. A secret's value never appears in an error.
    func overrides(_ values: [String], flag: String) throws -> [String: String] {
        var result: [String: String] = [:]
        let isSecret = flag == "--secret"
        for value in values {
            let key: String
            let given: String?
            if let equals = value.firstIndex(of: "=") {
                key = String(value[..<equals])
                given = String(value[value.index(after: equals)...])
            } else {
                key = value
                given = nil
            }
            guard EnvironmentName.isValid(key) else {
                let shown = isSecret ? "a name" : "'\(value)'"
                throw ValidationError("\(flag) expects KEY=VALUE or KEY (a name of letters, digits and '_'), got \(shown)")
            }
            let fromEnvironment: String?
            do {
                fromEnvironment = given == nil ? try TextArguments.environmentValue(key) : nil
            } catch {
                throw ValidationError("\(flag) \(key): \(error.description)")
            }
            guard let resolved = given ?? fromEnvironment else {
                throw ValidationError("\(flag) \(key): \(key) is not set in this environment")
            }
            guard !resolved.utf8.contains(0) else {
                throw ValidationError("\(flag) \(key): the value holds a NUL byte, which no environment can carry")
            }
            result[key] = resolved
        }
        return result
    }

    /// `--env-file`'s variables under `--env`'s.
    func environmentOverrides() throws -> [String: String] {
        try fromFile(envFile).merging(overrides(envs, flag: "--env")) { _, flag in flag }
    }

    /// `--secret-file`'s secrets under `--secret`'s.
    func secretOverrides() throws -> [String: String] {
        try fromFile(secretFile).merging(overrides(secrets, flag: "--secret")) { _, flag in flag }
    }

    private func fromFile(_ path: String?) throws -> [String: String] {
        guard let path else { return [:] }
        guard let data = FileManager.default.contents(atPath: path) else { throw ValidationError("\(path): cannot read it") }
        return Dictionary(try DotEnvFile.parse(String(decoding: data, as: UTF8.self), file: path), uniquingKeysWith: { _, last in last })
    }

    func loadTask(_ path: String, quiet: Bool = false) throws -> TaskSpec {
        let task = try TaskLoader.load(
            path: path,
            envOverrides: environmentOverrides(),
            secretOverrides: secretOverrides()
        )
        if !task.ignoredFields.isEmpty && !quiet {
            Terminal.err("Note: \(path): fields not acted on by Swiftlet: \(task.ignoredFields.joined(separator: ", ")).\n")
        }
        return try applied(to: task)
    }
}

extension Swiftlet {
    /// The command on `arguments`, as `parseAsRoot` parses it, but sooner: a subcommand's line is
    /// first parsed with that subcommand as the root, which skips ArgumentParser's search for
    /// `--generate-completion-script` (it parses two more commands by reflection: 1.3 ms of every
    /// start of a static binary, a tenth of a warm `exec`). Anything but a clean parse (help,
    /// an error) goes the usual way, so what the user reads is unchanged.
    static func parse(commandLine arguments: [String]) throws -> any ParsableCommand {
        if let name = arguments.first,
            let subcommand = configuration.subcommands.first(where: { $0.configuration.commandName == name }),
            let command = try? subcommand.parseAsRoot(Array(arguments.dropFirst())),
            ObjectIdentifier(type(of: command)) == ObjectIdentifier(subcommand)
        {
            return command
        }
        return try parseAsRoot(arguments)
    }
}

extension CommandConfiguration {
    /// A subcommand's configuration as a root of its own under `swiftlet` (see
    /// ``Swiftlet/parse(commandLine:)``); ignored when it is parsed under `swiftlet`.
    var underSwiftlet: CommandConfiguration {
        var configuration = self
        configuration._superCommandName = "swiftlet"
        return configuration
    }
}
