import Foundation
import SwiftletController
import SwiftletPOSIX
import Testing

/// The forms and flags SkyPilot users type: an inline command as the task, a launch that only
/// brings a cluster up, `--env-file`, `--secret-file`, `-n`, `--workdir`, `--no-setup`.
@Suite struct SkyPilotFlagsTests {
    let cli = CommandLineTests()

    @Test func inlineCommandsFilesAndOverrides() async throws {
        let home = try TestSupport.makeHome()
        let up = try await cli.swiftlet(["launch", "-c", "flags"], home: home)
        #expect(up.code == 0, "\(up.stderr)")
        #expect(try await cli.swiftlet(["status"], home: home).stdout.contains("flags"))
        let inline = try await cli.swiftlet(["launch", "-c", "flags", "echo hi from $SKYPILOT_NODE_RANK"], home: home)
        #expect(inline.code == 0 && inline.stdout.hasSuffix(") hi from 0\n"), "\(inline.stdout) \(inline.stderr)")
        try "# envs\nA=from-file\nexport B=\"file b\"\nC=kept # comment\n".write(
            toFile: home.path + "/vars.env",
            atomically: true,
            encoding: .utf8
        )
        try "TOKEN=s3cret\n".write(toFile: home.path + "/secrets.env", atomically: true, encoding: .utf8)
        let files = try await cli.swiftlet(
            [
                "exec", "flags", "--env-file", home.path + "/vars.env", "--env", "B=flag", "--secret-file", home.path + "/secrets.env",
                "-n", "named", "--", "echo \"$A|$B|$C\"",
            ],
            home: home
        )
        #expect(files.code == 0 && files.stdout.hasSuffix("from-file|flag|kept\n"), "\(files.stdout) \(files.stderr)")
        let queue = try await cli.swiftlet(["queue", "flags", "--json"], home: home)
        let jobs = try JSONDecoder().decode([JobControl.JobSummary].self, from: Data(queue.stdout.utf8))
        #expect(jobs.first?.name == "named", "\(queue.stdout)")
        // A bad line is named by file and line, its value never shown.
        try "A=1\nhunter2-alone\n".write(toFile: home.path + "/bad.env", atomically: true, encoding: .utf8)
        let bad = try await cli.swiftlet(["exec", "flags", "--secret-file", home.path + "/bad.env", "--", "true"], home: home)
        #expect(bad.code != 0 && bad.stderr.contains("bad.env:2:1: expected KEY=VALUE") && !bad.stderr.contains("hunter2"), "\(bad.stderr)")
        // --workdir replaces the task's; --no-setup skips its setup.
        try FileManager.default.createDirectory(atPath: home.path + "/code", withIntermediateDirectories: true)
        try "synced\n".write(toFile: home.path + "/code/data.txt", atomically: true, encoding: .utf8)
        let task = try cli.writeTask("setup: touch ~/setup-ran\nrun: cat data.txt\n", home: home)
        let run = try await cli.swiftlet(["launch", task, "-c", "flags", "--workdir", home.path + "/code", "--no-setup"], home: home)
        #expect(run.code == 0 && run.stdout.hasSuffix(") synced\n"), "\(run.stdout) \(run.stderr)")
        #expect(!FileManager.default.fileExists(atPath: home.localNode(cluster: "flags", index: 0) + "/setup-ran"))
        let missing = try await cli.swiftlet(["launch", task, "-c", "flags", "--workdir", home.path + "/nothere"], home: home)
        #expect(missing.code != 0 && missing.stderr.contains("--workdir \(home.path)/nothere: no such directory"), "\(missing.stderr)")
        _ = try await cli.swiftlet(["down", "flags"], home: home)
    }

    /// `exec CLUSTER python train.py --lr 1e-3` as SkyPilot users type it: the words are the
    /// command, options Swiftlet knows are its own wherever they stand (as click reads them), and
    /// it runs as a task on the head node with the job's id first, its output on stdout and
    /// SkyPilot's exit code; `exec CLUSTER -- CMD` stays ssh's form, on every node.
    @Test func execTakesAnUnquotedCommandAsSkyPilotDoes() async throws {
        let home = try TestSupport.makeHome()
        let up = try await cli.swiftlet(["launch", "-c", "words", "--num-nodes", "2"], home: home)
        #expect(up.code == 0, "\(up.stderr)")
        let words = try await cli.swiftlet(
            ["exec", "words", "echo", "train", "--lr", "1e-3", "rank=$SKYPILOT_NODE_RANK", ";", "echo", "oops", ">&2"],
            home: home
        )
        #expect(words.code == 0, "\(words.stderr)")
        #expect(
            words.stdout.contains(") train --lr 1e-3 rank=0\n") && words.stdout.contains(") oops\n"),
            "one node, both streams on stdout"
        )
        #expect(!words.stdout.contains("rank=1"), "\(words.stdout)")
        #expect(words.stderr.hasPrefix("Job 2 submitted on 'words'; Ctrl-C detaches"), "the job id first: \(words.stderr)")
        #expect(words.stderr.contains("'swiftlet logs words 2'"), "the hint names the cluster: \(words.stderr)")
        // -d after the command's words is still Swiftlet's; after a later -- it is the command's.
        let detached = try await cli.swiftlet(["exec", "words", "echo", "away", "-d", "--", "-d"], home: home)
        #expect(detached.code == 0 && detached.stderr.contains("Job 3 submitted on 'words'; follow it"), "\(detached.stderr)")
        let logs = try await cli.swiftlet(["logs", "words", "3"], home: home)
        #expect(logs.stdout.hasSuffix(") away -d\n"), "\(logs.stdout)")
        // --num-nodes spreads it; a failure exits 100 and names the code.
        let both = try await cli.swiftlet(["exec", "words", "--num-nodes", "2", "exit", "4"], home: home)
        #expect(
            both.code == 100 && both.stderr.contains("exited with return code 4 (FAILED). Return codes in rank order: ["),
            "\(both.stderr)"
        )
        // The ssh form: every node, the command's own code, nothing said but its output.
        let ssh = try await cli.swiftlet(["exec", "words", "--", "echo on-$SKYPILOT_NODE_RANK; exit 6"], home: home)
        #expect(ssh.code == 6 && ssh.stdout.contains(") on-0\n") && ssh.stdout.contains(") on-1\n"), "\(ssh.stdout)")
        #expect(!ssh.stderr.contains("submitted"), "\(ssh.stderr)")
        let nothing = try await cli.swiftlet(["exec", "words"], home: home)
        #expect(nothing.code == 2 && nothing.stderr.contains("Usage: swiftlet exec"), "\(nothing.stderr)")
        _ = try await cli.swiftlet(["down", "words"], home: home)
    }
}
