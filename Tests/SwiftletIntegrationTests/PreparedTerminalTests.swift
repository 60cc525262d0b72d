import Foundation
import SwiftletController
import SwiftletPOSIX
import SwiftletProtocol
import Testing

/// A terminal the agent prepares for the transport's own terminal (`ssh -tt` runs its
/// command): the command starts the prepared shell once, in the asked directory with the asked
/// environment, none of which is on a command line; a used, expired or made-up ticket is refused
/// with the reason.
@Suite struct PreparedTerminalTests {
    @Test func aPreparedTerminalStartsOnceWhereAndAsAsked() async throws {
        let home = try TestSupport.makeHome()
        let node = home.path + "/node"
        let session = try await TestSupport.connector(home: home).connect(to: .local(home: node), name: "node 0 (local)")
        let secret = "token-\(UUID().uuidString.prefix(8))"
        let request = TerminalRequest(
            command: "echo \"$MODEL $(pwd) $(umask)\"; exit 3",
            workingDirectory: "~/sky_workdir",
            environment: ["MODEL": secret],
            term: "xterm",
            rows: 24,
            columns: 80
        )
        let prepared = try await NodeShell.prepareTerminal(request, on: session)
        let expired = try await NodeShell.prepareTerminal(request, on: session)
        let abandoned = try await NodeShell.prepareTerminal(request, on: session)
        await session.close()
        #expect(prepared.command.dropFirst() == ["terminal", prepared.command.last!])
        #expect(!prepared.command.joined(separator: " ").contains(secret))
        let terminals = node + "/.swiftlet/run/terminals"
        let kept = try FileManager.default.attributesOfItem(atPath: terminals + "/" + prepared.command.last!)
        #expect((kept[.posixPermissions] as? Int) == 0o600)
        #expect((try FileManager.default.attributesOfItem(atPath: terminals)[.posixPermissions] as? Int) == 0o700)

        // One no `ssh -tt` ever took is removed once expired, when another terminal is taken.
        try await TestSupport.shell("touch -d '2 minutes ago' '\(terminals)/\(abandoned.command.last!)'")
        let run = prepared.command.map(ShellQuoting.quote).joined(separator: " ")
        // A shell's umask, not the agent's 077.
        let first = try await TestSupport.shell("umask 022; " + run, environment: ["HOME": node])
        #expect(first.code == 3)
        #expect(first.output == "\(secret) \(node)/sky_workdir 0022\n", "\(first.output)")
        #expect(FileSystem.entries(of: terminals) == [expired.command.last!], "\(FileSystem.entries(of: terminals))")
        let again = try await TestSupport.shell(run, environment: ["HOME": node])
        #expect(again.code == 1)
        #expect(again.output.contains("no prepared terminal \(prepared.command.last!) (used, or never made)"), "\(again.output)")

        let late = expired.command.map(ShellQuoting.quote).joined(separator: " ")
        try await TestSupport.shell("touch -d '2 minutes ago' '\(terminals)/\(expired.command.last!)'")
        let stale = try await TestSupport.shell(late, environment: ["HOME": node])
        #expect(stale.code == 1)
        #expect(stale.output.contains("expired"), "\(stale.output)")

        let path = try await TestSupport.shell("'\(TestSupport.agentPath)' terminal ../../../etc/passwd", environment: ["HOME": node])
        #expect(path.code == 64)
        #expect(path.output.contains("usage: swiftlet-agent terminal TICKET"), "\(path.output)")
        #expect(FileSystem.entries(of: terminals).isEmpty, "\(FileSystem.entries(of: terminals))")
    }
}
