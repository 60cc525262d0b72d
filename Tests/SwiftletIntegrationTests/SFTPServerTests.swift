import Foundation
import Testing

/// `swiftlet-agent sftp-server` driven by OpenSSH's own `sftp` client (`sftp -D` runs it as a
/// local server): what scp, sftp and VS Code get over `swiftlet proxy`.
@Suite struct SFTPServerTests {
    struct Session {
        let directory: String
        var home: String { directory + "/home" }

        init() throws {
            directory = FileManager.default.temporaryDirectory.appendingPathComponent("sftp-\(UUID().uuidString.prefix(8))").path
            try FileManager.default.createDirectory(atPath: directory + "/home", withIntermediateDirectories: true)
            try FileManager.default.createDirectory(atPath: directory + "/local", withIntermediateDirectories: true)
        }

        /// Runs `commands` as an sftp batch (each line's failure is ignored with a leading `-`).
        func batch(_ commands: [String]) async throws -> (code: Int32, output: String) {
            try commands.joined(separator: "\n").write(toFile: directory + "/batch", atomically: true, encoding: .utf8)
            return try await TestSupport.shell(
                "cd '\(directory)' && HOME='\(home)' timeout 60 sftp -D '\(TestSupport.agentPath) sftp-server' -b batch 2>&1"
            )
        }

        func remove() { try? FileManager.default.removeItem(atPath: directory) }
    }

    @Test func filesGoBothWaysWholeWithTheirModesAndTimes() async throws {
        let session = try Session()
        defer { session.remove() }
        let big = Data((0..<3_000_000).map { _ in UInt8.random(in: 0...255) })
        try big.write(to: URL(fileURLWithPath: session.directory + "/local/big"))
        try "hello\n".write(toFile: session.directory + "/local/small", atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes(
            [.posixPermissions: 0o750, .modificationDate: Date(timeIntervalSince1970: 1_600_000_000)],
            ofItemAtPath: session.directory + "/local/small"
        )
        let run = try await session.batch([
            "pwd", "mkdir dir", "put local/big dir/big", "put -p local/small", "get dir/big local/back", "ls -l",
            "rename small renamed", "symlink renamed link", "chmod 600 renamed", "-rename missing elsewhere", "-rmdir missing",
        ])
        #expect(run.code == 0, "\(run.output)")
        #expect(run.output.contains("Remote working directory: \(session.home)"), "\(run.output)")
        #expect(FileManager.default.contents(atPath: session.home + "/dir/big") == big)
        #expect(FileManager.default.contents(atPath: session.directory + "/local/back") == big)
        let renamed = try FileManager.default.attributesOfItem(atPath: session.home + "/renamed")
        #expect((renamed[.posixPermissions] as? Int) == 0o600)
        #expect((renamed[.modificationDate] as? Date) == Date(timeIntervalSince1970: 1_600_000_000))
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: session.home + "/link") == "renamed")
        // The listing is ls -l's; what is missing is named.
        #expect(run.output.contains("-rwxr-x---") && run.output.contains(" small"), "\(run.output)")
        #expect(run.output.contains("home/missing\": No such file or directory"), "\(run.output)")
        #expect(FileManager.default.fileExists(atPath: session.home + "/dir/big"))
    }

    @Test func aClientThatSendsGarbageEndsTheServerWithoutACrash() async throws {
        let session = try Session()
        defer { session.remove() }
        // A packet claiming 1 GiB, then junk: refused before reading it.
        let run = try await TestSupport.shell(
            "cd '\(session.home)' && printf '\\100\\000\\000\\000junk' | HOME='\(session.home)' timeout 10 '\(TestSupport.agentPath)' sftp-server; echo \"exit=$?\""
        )
        #expect(run.output.hasSuffix("exit=1\n"), "\(run.output)")
    }
}
