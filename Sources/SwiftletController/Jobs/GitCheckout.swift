import Foundation
import SwiftletPOSIX
import SwiftletTask

/// A task's `workdir: {url, ref}` made a directory on this machine, then synced to the nodes as
/// any workdir is, so the nodes need no git and no network to the repository. The repository is
/// mirrored once under `$SWIFTLET_HOME/git/` and fetched again at each launch; each commit's
/// files are kept apart, whole before they are used (two launches of other refs never mix).
/// As SkyPilot, the job gets `GIT_URL` and `GIT_BRANCH`, `GIT_TAG` or `GIT_COMMIT_HASH`; a
/// private repository takes `GIT_TOKEN` (https) or `GIT_SSH_KEY_PATH` (ssh) from this
/// machine's environment, handed to git in its environment: never in an argument, a file on the
/// nodes, or an error.
public struct GitCheckout: Sendable {
    let home: SwiftletHome
    let environment: [String: String]

    public init(home: SwiftletHome, environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.home = home
        self.environment = environment
    }

    /// `task` with its git workdir checked out here and given as its workdir.
    public func resolved(_ task: TaskSpec) throws -> TaskSpec {
        guard let git = task.gitWorkdir else { return task }
        let (directory, refVariable) = try checkout(git)
        var task = task
        task.workdir = directory
        var added = [TaskSpec.EnvVar(key: "GIT_URL", value: git.url)]
        if let refVariable, let ref = git.ref { added.append(.init(key: refVariable, value: ref)) }
        for variable in added where !task.envs.contains(where: { $0.key == variable.key }) { task.envs.append(variable) }
        return task
    }

    /// The directory holding `git`'s files at its ref, and which variable names the ref
    /// (`GIT_BRANCH`, `GIT_TAG`, `GIT_COMMIT_HASH`; nil for the default branch).
    func checkout(_ git: TaskSpec.GitWorkdir) throws -> (String, String?) {
        let executable = try Executables.find("git", install: "apt-get install git")
        let cache = home.path + "/git/" + String(SHA256Digest.hex(of: git.url.utf8).prefix(16))
        try FileSystem.createDirectories(cache + "/trees")
        let lock = try FileLock(waitingOn: cache + "/lock")
        defer { lock.release() }
        let mirror = cache + "/mirror.git"
        if FileManager.default.fileExists(atPath: mirror) {
            try run(executable, ["--git-dir", mirror, "fetch", "--prune", "--quiet", "origin"], what: "fetch \(git.url)")
        } else {
            let partial = mirror + ".partial"
            try? FileManager.default.removeItem(atPath: partial)
            try run(executable, ["clone", "--mirror", "--quiet", "--", git.url, partial], what: "clone \(git.url)")
            try FileManager.default.moveItem(atPath: partial, toPath: mirror)
        }
        let (commit, variable) = try resolve(git.ref, in: mirror, executable: executable, url: git.url)
        let tree = cache + "/trees/" + commit
        if !FileManager.default.fileExists(atPath: tree) {
            let partial = tree + ".partial"
            try? FileManager.default.removeItem(atPath: partial)
            try FileSystem.createDirectories(partial)
            let archive = partial + ".tar"
            defer { try? FileManager.default.removeItem(atPath: archive) }
            try run(executable, ["--git-dir", mirror, "archive", "--format=tar", "--output", archive, commit], what: "read \(commit)")
            // -m: the files get the time of this checkout, not the commit's (two commits made in
            // one second would read as unchanged to the sync, which skips a file of one size and time).
            try run(try Executables.find("tar"), ["-x", "-m", "-f", archive, "-C", partial], what: "unpack \(commit)")
            try FileManager.default.moveItem(atPath: partial, toPath: tree)
        }
        return (tree, variable)
    }

    /// The ref's commit, and the variable that names it: a branch, else a tag, else a commit.
    private func resolve(_ ref: String?, in mirror: String, executable: String, url: String) throws -> (String, String?) {
        guard let ref else {
            guard let head = revParse("HEAD", mirror, executable) else { throw ControllerError("workdir: \(url) has no commit yet") }
            return (head, nil)
        }
        for (prefix, variable) in [("refs/heads/", "GIT_BRANCH"), ("refs/tags/", "GIT_TAG")] {
            if let commit = revParse(prefix + ref, mirror, executable) { return (commit, variable) }
        }
        if ref.allSatisfy(\.isHexDigit), let commit = revParse(ref, mirror, executable) { return (commit, "GIT_COMMIT_HASH") }
        throw ControllerError("workdir: '\(ref)' is no branch, tag or commit of \(url)")
    }

    private func revParse(_ name: String, _ mirror: String, _ executable: String) -> String? {
        let output = try? run(
            executable,
            ["--git-dir", mirror, "rev-parse", "--verify", "--quiet", name + "^{commit}"],
            what: "read \(name)"
        )
        return output.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.flatMap { $0.isEmpty ? nil : $0 }
    }

    /// git's environment: never a prompt; the token as an https header, the key for ssh.
    var gitEnvironment: [String: String] {
        var variables = environment
        variables["GIT_TERMINAL_PROMPT"] = "0"
        if let token = environment["GIT_TOKEN"], !token.isEmpty {
            variables["GIT_CONFIG_COUNT"] = "1"
            variables["GIT_CONFIG_KEY_0"] = "http.extraHeader"
            variables["GIT_CONFIG_VALUE_0"] = "Authorization: Basic " + Data((token + ":").utf8).base64EncodedString()
        }
        if let key = environment["GIT_SSH_KEY_PATH"], !key.isEmpty {
            variables["GIT_SSH_COMMAND"] =
                "ssh -F none -i \(ShellQuoting.quote(key)) -o IdentitiesOnly=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR"
        }
        return variables
    }

    /// Runs `executable` (git, or tar) in git's environment and returns its output; when it
    /// fails, the last line of its stderr is the error.
    @discardableResult
    private func run(_ executable: String, _ arguments: [String], what: String) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = gitEnvironment
        process.standardInput = FileHandle.nullDevice
        let (output, errors) = (Pipe(), Pipe())
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            let reason = message.split(separator: "\n").last.map(String.init) ?? "exit status \(process.terminationStatus)"
            throw ControllerError("workdir: cannot \(what): \(reason)")
        }
        return text
    }
}
