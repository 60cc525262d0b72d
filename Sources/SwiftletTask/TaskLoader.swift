import Foundation
import Yams

/// Reads SkyPilot task YAML into a ``TaskSpec``, with errors that name the file, line and column.
public struct TaskLoader {
    /// Top-level fields Swiftlet acts on.
    static let actedOn: Set<String> = ["name", "workdir", "num_nodes", "resources", "envs", "secrets", "file_mounts", "setup", "run"]
    /// Valid SkyPilot task fields Swiftlet accepts without acting on them.
    static let accepted: Set<String> = [
        "service", "pool", "config", "volumes", "event_callback", "inputs", "outputs", "experimental", "api_server_access",
    ]

    let file: String
    let lines: [Substring]

    /// Loads `path`, applying `--env` and `--secret` values.
    public static func load(path: String, envOverrides: [String: String] = [:], secretOverrides: [String: String] = [:]) throws -> TaskSpec
    {
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            throw TaskError(file: path, line: 0, column: 0, message: "cannot read the task file")
        }
        return try TaskLoader(file: path, text: text).parse(text, envOverrides: envOverrides, secretOverrides: secretOverrides)
    }

    init(file: String, text: String) {
        self.file = file
        self.lines = text.split(separator: "\n", omittingEmptySubsequences: false)
    }

    public static func parse(_ text: String, file: String, envOverrides: [String: String] = [:], secretOverrides: [String: String] = [:])
        throws -> TaskSpec
    {
        try TaskLoader(file: file, text: text).parse(text, envOverrides: envOverrides, secretOverrides: secretOverrides)
    }

    func parse(_ text: String, envOverrides: [String: String], secretOverrides: [String: String]) throws -> TaskSpec {
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            throw syntaxError(error)
        }
        var task = TaskSpec()
        guard let root else { return try finish(task, envOverrides: envOverrides, secretOverrides: secretOverrides, envNodes: [:]) }
        guard let mapping = root.mapping else { throw error(at: root, "a task must be a mapping of fields") }
        var envNodes: [String: Node] = [:]
        var fileMountNodes: [(String, Node)] = []
        for (keyNode, value) in mapping {
            guard let key = keyNode.string else { throw error(at: keyNode, "field names must be strings") }
            if Self.accepted.contains(key) {
                // Not served here, but read by SkyPilot's rules: a bad service is an error.
                if key == "service" { try checkService(value) }
                task.ignoredFields.append(key)
                continue
            }
            guard Self.actedOn.contains(key) else {
                throw error(at: keyNode, "unknown field '\(key)'" + suggestion(for: key, among: Self.actedOn.union(Self.accepted)))
            }
            switch key {
            case "name": task.name = try optionalString(value, field: key)
            case "workdir":
                if value.mapping != nil {
                    task.gitWorkdir = try gitWorkdir(value)
                } else {
                    task.workdir = try optionalString(value, field: key)
                }
            case "setup": task.setup = try optionalString(value, field: key)
            case "run": task.run = try optionalString(value, field: key)
            case "num_nodes":
                guard let count = value.int, count >= 1 else { throw error(at: value, "num_nodes must be a positive integer") }
                task.numNodes = count
            case "envs":
                for (keyNode, _) in value.mapping ?? [:] {
                    // SkyPilot's schema: env names are shell identifiers (secrets' names are not checked).
                    if let name = keyNode.string, !EnvironmentName.isValid(name) {
                        throw error(
                            at: keyNode,
                            "The `envs` field contains invalid keys: '\(name)' does not match any of the regexes: '^[a-zA-Z_][a-zA-Z0-9_]*$'"
                        )
                    }
                }
                for (envKey, envValue) in try pairs(value, field: key) {
                    envNodes[envKey] = envValue
                    if let scalar = try scalarString(envValue, field: "envs.\(envKey)") {
                        task.envs.append(.init(key: envKey, value: scalar))
                    } else {
                        task.envs.append(.init(key: envKey, value: "\u{0}"))
                    }
                }
            case "secrets":
                // A secret left null is simply not set (unless given with --secret).
                for (secretKey, secretValue) in try pairs(value, field: key) {
                    if let secret = try scalarString(secretValue, field: "secrets.\(secretKey)") {
                        task.secrets.append(.init(key: secretKey, value: secret))
                    }
                }
            case "file_mounts":
                fileMountNodes = try pairs(value, field: key)
            case "resources":
                task.resourceChoices = try resourceChoices(value, ignored: &task.ignoredFields)
            default:
                break
            }
        }
        task = try finish(task, envOverrides: envOverrides, secretOverrides: secretOverrides, envNodes: envNodes)
        // Mounts from a local path or URL; storage mounts (mappings) are kept apart, as SkyPilot does.
        let variables = Dictionary(task.envs.map { ($0.key, $0.value) }, uniquingKeysWith: { _, last in last })
        // SkyPilot fills the envs into the workdir too, a path or a repository's url and ref.
        task.workdir = task.workdir.map { EnvSubstitution.apply($0, variables) }
        if let git = task.gitWorkdir {
            task.gitWorkdir = .init(
                url: EnvSubstitution.apply(git.url, variables),
                ref: git.ref.map { EnvSubstitution.apply($0, variables) }
            )
        }
        for (target, source) in fileMountNodes {
            if let path = source.string {
                task.fileMounts[EnvSubstitution.apply(target, variables)] = EnvSubstitution.apply(path, variables)
            } else if case .sequence = source {
                // SkyPilot's schema has a path or a storage mapping here; a list must not vanish.
                throw error(at: source, "file_mounts.\(target) must be a path or a storage mapping, not a list")
            } else if source.mapping != nil {
                task.storageMounts.append(EnvSubstitution.apply(target, variables))
            }
        }
        return task
    }

    private func finish(_ task: TaskSpec, envOverrides: [String: String], secretOverrides: [String: String], envNodes: [String: Node])
        throws -> TaskSpec
    {
        var task = task
        task.envs = try apply(envOverrides, to: task.envs, flag: "--env", envNodes: envNodes)
        task.secrets = try apply(secretOverrides, to: task.secrets, flag: "--secret", envNodes: envNodes)
        return task
    }

    private func apply(_ overrides: [String: String], to vars: [TaskSpec.EnvVar], flag: String, envNodes: [String: Node]) throws
        -> [TaskSpec.EnvVar]
    {
        var result = vars.map { variable in
            TaskSpec.EnvVar(key: variable.key, value: overrides[variable.key] ?? variable.value)
        }
        for (key, value) in overrides.sorted(by: { $0.key < $1.key }) where !vars.contains(where: { $0.key == key }) {
            result.append(.init(key: key, value: value))
        }
        if let missing = result.first(where: { $0.value == "\u{0}" }) {
            let message = "\(missing.key) is null and must be given: add \(flag) \(missing.key)=VALUE"
            if let node = envNodes[missing.key] { throw error(at: node, message) }
            throw TaskError(file: file, line: 0, column: 0, message: message)
        }
        return result
    }

    // MARK: Helpers

    func pairs(_ node: Node, field: String) throws -> [(String, Node)] {
        if node.null != nil { return [] }
        guard let mapping = node.mapping else { throw error(at: node, "\(field) must be a mapping") }
        return try mapping.map { key, value in
            guard let name = key.string else { throw error(at: key, "\(field): keys must be strings") }
            return (name, value)
        }
    }

    /// `workdir: {url: ..., ref: ...}`, as SkyPilot's schema has it: `url` required, nothing
    /// else but `ref`.
    private func gitWorkdir(_ node: Node) throws -> TaskSpec.GitWorkdir {
        var url: String?
        var ref: String?
        for (keyNode, value) in node.mapping! {
            switch keyNode.string {
            case "url": url = try optionalString(value, field: "workdir.url")
            case "ref": ref = try optionalString(value, field: "workdir.ref")
            default: throw error(at: keyNode, "workdir: unknown field '\(keyNode.string ?? "")'; a git workdir has url and ref")
            }
        }
        guard let url, !url.isEmpty else { throw error(at: node, "workdir: a git workdir needs its url") }
        return TaskSpec.GitWorkdir(url: url, ref: ref)
    }

    func optionalString(_ node: Node, field: String) throws -> String? {
        if node.null != nil { return nil }
        guard case .scalar(let scalar) = node else { throw error(at: node, "\(field) must be a string") }
        return scalar.string
    }

    /// A scalar as SkyPilot (Python) turns it into a string: `true` -> `True`, `0.10` -> `0.1`,
    /// `1_000` -> `1000`; nil for null.
    func scalarString(_ node: Node, field: String, python: Bool = true) throws -> String? {
        guard case .scalar(let scalar) = node else { throw error(at: node, "\(field) must be a string, number or boolean") }
        if node.null != nil { return nil }
        guard scalar.style == .plain else { return scalar.string }
        if let bool = node.bool { return bool ? "True" : "False" }
        return PythonScalar.string(forPlain: scalar.string)
    }

    func error(at node: Node, _ message: String) -> TaskError {
        let line = node.mark?.line ?? 0
        let column = node.mark?.column ?? 0
        return TaskError(file: file, line: line, column: column, message: message, sourceLine: source(line))
    }

    private func source(_ line: Int) -> String? {
        line >= 1 && line <= lines.count ? String(lines[line - 1]) : nil
    }

    private func syntaxError(_ error: YamlError) -> TaskError {
        switch error {
        case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _):
            return TaskError(
                file: file,
                line: mark.line,
                column: mark.column,
                message: "YAML syntax error: \(problem)",
                sourceLine: source(mark.line)
            )
        default:
            return TaskError(file: file, line: 0, column: 0, message: "YAML error: \(error)")
        }
    }

    func suggestion(for key: String, among candidates: Set<String>) -> String {
        let ranked: [(name: String, distance: Int)] = candidates.sorted().map { ($0, EditDistance.between(key, $0)) }
        guard let best = ranked.min(by: { $0.distance < $1.distance }), best.distance <= max(2, key.count / 3) else {
            return ""
        }
        return "; did you mean '\(best.name)'?"
    }
}

/// Levenshtein distance, for "did you mean" suggestions.
enum EditDistance {
    static func between(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        var previous = Array(0...b.count)
        for i in 1...max(a.count, 1) where !a.isEmpty {
            var current = [i] + Array(repeating: 0, count: b.count)
            for j in 1...max(b.count, 1) where !b.isEmpty {
                let substitution: Int = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)
                let insertionOrDeletion: Int = min(previous[j], current[j - 1]) + 1
                current[j] = min(substitution, insertionOrDeletion)
            }
            previous = current
        }
        return a.isEmpty ? b.count : previous[b.count]
    }
}
