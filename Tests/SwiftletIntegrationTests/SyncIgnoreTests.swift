import Foundation
import Testing

@testable import SwiftletController

/// A workdir sync leaves out what SkyPilot's rsync leaves out: `.skyignore` when the top has
/// one, else `.gitignore` (and `.git/info/exclude`), each file applying below where it stands.
@Suite struct SyncIgnoreTests {
    let cli = CommandLineTests()

    func excluded(_ rules: String, _ path: String, directory: Bool = false, base: String = "") -> Bool {
        SyncIgnore.excludes(path, isDirectory: directory, by: SyncIgnore.rules(rules, base: base))
    }

    @Test func rsyncsReadingOfAPattern() {
        #expect(excluded("*.ckpt", "a/b/model.ckpt"), "a name matches at any depth")
        #expect(!excluded("*.ckpt", "a/model.ckpt.txt"))
        #expect(excluded("/data", "data") && !excluded("/data", "src/data"), "a leading / anchors it")
        #expect(excluded("logs/", "x/logs", directory: true) && !excluded("logs/", "x/logs"), "a trailing / is for directories")
        #expect(excluded("build/out", "build/out") && excluded("build/out", "a/build/out") && !excluded("build/out", "xbuild/out"))
        #expect(excluded("a/*/c", "a/b/c") && !excluded("a/*/c", "a/b/x/c"), "* stops at /")
        #expect(excluded("a/**/c", "a/b/x/c"), "** does not")
        #expect(excluded("file?.[0-9]", "file1.7") && !excluded("file?.[0-9]", "file1.x"))
        #expect(excluded("# comment\n\n  \n*.tmp  \n", "x.tmp"), "comments, blank lines and trailing spaces")
        #expect(excluded("*.bin", "sub/x.bin", base: "sub") && !excluded("*.bin", "x.bin", base: "sub"), "a file applies below it")
        #expect(excluded("/only", "sub/only", base: "sub") && !excluded("/only", "sub/deeper/only", base: "sub"))
    }

    @Test func aSyncedWorkdirLeavesOutWhatTheIgnoreFilesSay() async throws {
        let home = try TestSupport.makeHome()
        let code = home.path + "/code"
        func write(_ path: String, _ text: String = "x\n") throws {
            try FileManager.default.createDirectory(
                atPath: code + "/" + ((path as NSString).deletingLastPathComponent),
                withIntermediateDirectories: true
            )
            try text.write(toFile: code + "/" + path, atomically: true, encoding: .utf8)
        }
        try write("train.py")
        try write("checkpoints/big.ckpt")
        try write("src/util.py")
        try write("src/cache.tmp")
        try write("src/.gitignore", "*.tmp\n")
        try write(".gitignore", "checkpoints/\n")
        try write(".git/info/exclude", "/secret.txt\n")
        try write("secret.txt")
        let task = try cli.writeTask("workdir: \(code)\nrun: find . -type f | sort\n", home: home)
        let run = try await cli.swiftlet(["launch", task, "-c", "ignored"], home: home)
        let synced = run.stdout.split(separator: "\n").map { String($0.split(separator: " ").last ?? "") }
        #expect(synced.contains("./train.py") && synced.contains("./src/util.py"), "\(run.stdout) \(run.stderr)")
        #expect(
            !synced.contains("./checkpoints/big.ckpt") && !synced.contains("./src/cache.tmp") && !synced.contains("./secret.txt"),
            "\(synced)"
        )
        // A .skyignore at the top replaces the .gitignore files.
        try write(".skyignore", "*.py\n")
        let again = try await cli.swiftlet(["exec", "ignored", "--", "rm -rf ~/sky_workdir"], home: home)
        #expect(again.code == 0)
        let sky = try await cli.swiftlet(["launch", task, "-c", "ignored"], home: home)
        let second = sky.stdout.split(separator: "\n").map { String($0.split(separator: " ").last ?? "") }
        #expect(second.contains("./checkpoints/big.ckpt") && second.contains("./src/cache.tmp"), "\(second)")
        #expect(!second.contains("./train.py") && !second.contains("./src/util.py"), "\(second)")
        _ = try await cli.swiftlet(["down", "ignored"], home: home)
    }
}
