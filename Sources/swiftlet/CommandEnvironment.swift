import ArgumentParser
import Dispatch
import Foundation
import SwiftletController
import SwiftletPOSIX
import SwiftletTask

#if canImport(Glibc)
    import Glibc
#endif

/// What every command that talks to nodes sets up.
enum CommandEnvironment {
    static func runner() throws -> JobRunner {
        let home = SwiftletHome.fromEnvironment()
        var connector = NodeConnector(home: home, binary: try AgentBinary.locate(home: home))
        connector.keeper = try keeper()
        return JobRunner(home: home, connector: connector, output: TerminalOutput())
    }

    /// Connections are kept for `$SWIFTLET_KEEPALIVE` seconds (default 300; 0 turns keeping off).
    static func keeper() throws -> (executable: String, keepAlive: Duration)? {
        let seconds = SwiftletConfiguration.process.keepAliveSeconds
        guard seconds > 0 else { return nil }
        return (try SelfExecutable.path(), .seconds(seconds))
    }

    /// Rewrites `$SWIFTLET_HOME/ssh/config` for the clusters there are now; with `include`, adds
    /// its `Include` line to the user's ssh config when missing (`$SWIFTLET_SSH_CONFIG`).
    @discardableResult
    static func refreshSSHConfig(include: Bool = true) throws -> SSHConfigFile {
        let home = SwiftletHome.fromEnvironment()
        let config = SSHConfigFile(home: home, program: try SelfExecutable.path())
        try config.write(ClusterStore(home: home).all().clusters)
        let target = SwiftletConfiguration.process.userSSHConfig ?? Environment.home + "/.ssh/config"
        if include && target != "none" { try config.include(in: target) }
        return config
    }

    /// ``refreshSSHConfig(include:)`` after a launch or a `down`: a failure is a warning, the
    /// command's own result stands.
    static func refreshSSHConfigOrWarn() {
        do {
            try refreshSSHConfig()
        } catch {
            Terminal.err("warning: the clusters' ssh hosts were not updated: \(error)\n")
        }
    }

    /// Prints a failure as one clear line and turns it into an exit code.
    static func reportingErrors(_ body: () async throws -> Int32) async throws -> Int32 {
        do {
            return try await body()
        } catch let error as NodeError {
            Terminal.err("error: \(error)\n")
            return 1
        } catch let error as ControllerError {
            Terminal.err("error: \(error)\n")
            return 1
        } catch let error as ClusterStore.UnreadableRecord {
            Terminal.err("error: \(error)\n")
            return 1
        } catch let error as TaskError {
            Terminal.err("error: \(error)\n")
            return 2
        }
    }
}

/// Plain aligned columns.
enum TextTable {
    static func render(_ rows: [[String]]) -> String {
        guard let first = rows.first else { return "" }
        let widths = (0..<first.count).map { column in rows.map { $0[column].count }.max() ?? 0 }
        return rows.map { row in
            row.enumerated().map { index, cell in
                index == row.count - 1 ? cell : cell.padding(toLength: widths[index] + 2, withPad: " ", startingAt: 0)
            }.joined()
        }.joined(separator: "\n") + "\n"
    }
}
