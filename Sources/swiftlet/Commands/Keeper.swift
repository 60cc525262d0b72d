import ArgumentParser
import Foundation
import SwiftletController
import SwiftletPOSIX
import SwiftletTask

/// The background process that keeps one node's agent connection for later commands.
struct Keeper: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keeper",
        abstract: "Keep a node's agent connection open for later commands (started by swiftlet itself).",
        shouldDisplay: false
    ).underSwiftlet

    @Option(help: "The node address, as JSON.")
    var address: String

    @Option(help: "How errors name the node.")
    var name: String

    @Option(help: "Seconds without clients before exiting.")
    var idle: Int = 300

    func run() async throws {
        let home = SwiftletHome.fromEnvironment()
        let node = try JSONDecoder().decode(NodeAddress.self, from: Data(address.utf8))
        let connector = NodeConnector(home: home, binary: try AgentBinary.locate(home: home))
        // Spare lanes kept ready (`$SWIFTLET_LANES`, default 1; 0 relays every client).
        let lanes = SwiftletConfiguration.process.spareLanes
        let code = await ConnectionKeeper.run(connector: connector, address: node, name: name, idle: .seconds(idle), spareLanes: lanes) {
            Terminal.err($0 + "\n")
        } report: { line in
            Terminal.out(line + "\n")
            // Nothing else may reach the starter, which reads exactly one line.
            let null = open("/dev/null", O_WRONLY)
            dup2(null, 1)
            close(null)
        }
        throw ExitCode(code)
    }
}
