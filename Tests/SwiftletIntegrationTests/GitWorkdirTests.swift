import Foundation
import SwiftletTask
import Testing

@testable import SwiftletController

/// `workdir: {url, ref}` as SkyPilot reads it: the repository at its branch, tag or commit is
/// the job's `~/sky_workdir`, with `GIT_URL` and `GIT_BRANCH`, `GIT_TAG` or `GIT_COMMIT_HASH`.
/// The repository here is served over ssh by a test-bed host, its key given as SkyPilot users
/// give it (`GIT_SSH_KEY_PATH`).
@Suite(.enabled(if: Testbed.available)) struct GitWorkdirTests {
    let cli = CommandLineTests()

    /// A repository on test-bed host 1: `main` with train.py at v1 (tagged `v1`) then v2, and a
    /// branch `dev` with dev.txt. Returns its ssh url and v1's commit.
    func makeRepository() async throws -> (url: String, v1: String) {
        let name = "repo-\(UInt32.random(in: 0...UInt32.max)).git"
        let work = NSTemporaryDirectory() + "/swiftlet-git-\(UUID().uuidString)"
        let bare = Testbed.state + "/h1/root/" + name
        let script = """
            set -e
            git init -q -b main '\(work)' && cd '\(work)'
            git -c user.email=t@t -c user.name=t commit -q --allow-empty -m start
            echo v1 > train.py && git add train.py && git -c user.email=t@t -c user.name=t commit -q -m v1 && git tag v1
            git checkout -q -b dev && echo dev > dev.txt && git add dev.txt && git -c user.email=t@t -c user.name=t commit -q -m dev
            git checkout -q main && echo v2 > train.py && git -c user.email=t@t -c user.name=t commit -q -am v2
            git clone -q --bare '\(work)' '\(bare)'
            git rev-parse v1^{commit}
            """
        let made = try await TestSupport.shell(script)
        try #require(made.code == 0, "\(made.output)")
        try? FileManager.default.removeItem(atPath: work)
        return ("ssh://root@\(Testbed.host(1).address)/root/\(name)", made.output.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    @Test func aRepositoryAtItsBranchTagOrCommitIsTheWorkdir() async throws {
        let home = try TestSupport.makeHome()
        let (url, v1) = try await makeRepository()
        let key = ["GIT_SSH_KEY_PATH": Testbed.state + "/client_key"]
        let run = "run: cat train.py; ls; echo \"url=$GIT_URL branch=${GIT_BRANCH:-} tag=${GIT_TAG:-} commit=${GIT_COMMIT_HASH:-}\"\n"
        let tagged = try cli.writeTask("workdir:\n  url: \(url)\n  ref: v1\n" + run, home: home)
        let first = try await cli.swiftlet(["launch", tagged, "-c", "git"], home: home, environment: key)
        #expect(first.code == 0, "\(first.stderr)")
        #expect(first.stdout.contains(") v1\n") && first.stdout.contains("url=\(url) branch= tag=v1 commit=\n"), "\(first.stdout)")
        #expect(!first.stdout.contains("dev.txt"))
        // A branch, from the flags SkyPilot has; the default branch when no ref is given.
        let dev = try await cli.swiftlet(
            ["exec", "git", "--git-url", url, "--git-ref", "dev", "ls; echo branch=$GIT_BRANCH"],
            home: home,
            environment: key
        )
        #expect(dev.stdout.contains(") dev.txt\n") && dev.stdout.contains("branch=dev\n"), "\(dev.stdout) \(dev.stderr)")
        let head = try cli.writeTask("workdir:\n  url: \(url)\n" + run, home: home)
        let main = try await cli.swiftlet(["exec", "git", head], home: home, environment: key)
        #expect(main.stdout.contains(") v2\n") && main.stdout.contains("branch= tag= commit=\n"), "\(main.stdout) \(main.stderr)")
        let commit = try await cli.swiftlet(
            ["exec", "git", "--git-url", url, "--git-ref", v1, "cat train.py; echo $GIT_COMMIT_HASH"],
            home: home,
            environment: key
        )
        #expect(commit.stdout.contains(") v1\n") && commit.stdout.contains(") \(v1)\n"), "\(commit.stdout) \(commit.stderr)")
        // What cannot be had is named, before anything runs.
        let missing = try await cli.swiftlet(
            ["exec", "git", "--git-url", url, "--git-ref", "nope", "echo never"],
            home: home,
            environment: key
        )
        #expect(missing.code != 0 && missing.stderr.contains("workdir: 'nope' is no branch, tag or commit of \(url)"), "\(missing.stderr)")
        let noKey = try await cli.swiftlet(["launch", tagged, "-c", "git2"], home: try TestSupport.makeHome())
        #expect(noKey.code != 0 && noKey.stderr.contains("workdir: cannot clone \(url)"), "\(noKey.stderr)")
        _ = try await cli.swiftlet(["down", "git"], home: home)
    }

    @Test func aTokenReachesGitInItsEnvironmentOnly() throws {
        let checkout = GitCheckout(home: try TestSupport.makeHome(), environment: ["GIT_TOKEN": "hunter2", "PATH": "/usr/bin:/bin"])
        let environment = checkout.gitEnvironment
        #expect(environment["GIT_CONFIG_KEY_0"] == "http.extraHeader")
        #expect(environment["GIT_CONFIG_VALUE_0"] == "Authorization: Basic " + Data("hunter2:".utf8).base64EncodedString())
        #expect(environment["GIT_TERMINAL_PROMPT"] == "0")
    }

    @Test func aGitWorkdirReadsAsSkyPilotReadsIt() throws {
        let task = try TaskLoader.parse("envs:\n  REF: dev\nworkdir:\n  url: https://x/r.git\n  ref: $REF\nrun: true\n", file: "t.yaml")
        #expect(task.gitWorkdir == TaskSpec.GitWorkdir(url: "https://x/r.git", ref: "dev") && task.workdir == nil)
        #expect(task.normalized.text.contains(#""workdir": {"ref": "dev", "url": "https://x/r.git"}"#), "\(task.normalized.text)")
        #expect {
            try TaskLoader.parse("workdir:\n  url: https://x/r.git\n  branch: dev\n", file: "t.yaml")
        } throws: { "\($0)".contains("t.yaml:3:3: workdir: unknown field 'branch'") }
        #expect {
            try TaskLoader.parse("workdir:\n  ref: dev\n", file: "t.yaml")
        } throws: { "\($0)".contains("workdir: a git workdir needs its url") }
    }
}
