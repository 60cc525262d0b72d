import ArgumentParser
import Foundation
import SwiftletController
import SwiftletTask

struct Version: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "version",
        abstract: "Print the controller and agent versions."
    ).underSwiftlet

    func run() throws {
        let agent = try AgentBinary.locate(home: .fromEnvironment())
        Terminal.out("swiftlet \(SwiftletVersion.current)\nagent \(agent.path) sha256 \(agent.sha256)\n")
    }
}
