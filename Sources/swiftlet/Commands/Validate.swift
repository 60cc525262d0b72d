import ArgumentParser
import Foundation
import SwiftletController
import SwiftletTask

struct Validate: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Check a task file as launch checks it, and print how Swiftlet reads it."
    ).underSwiftlet

    @Argument(help: "The task YAML file.")
    var task: String

    @Flag(help: "Print the normalized task as JSON (SkyPilot's reading, field for field).")
    var json = false

    @OptionGroup var options: TaskOptions

    func run() throws {
        do {
            let spec = try options.loadTask(task, quiet: json)
            do {
                try JobRunner.checkRequest(of: spec)
            } catch {
                Terminal.err("error: \(task): \(error)\n")
                throw ExitCode(2)
            }
            if json {
                Terminal.out(spec.normalized.text + "\n")
            } else {
                Terminal.out("\(task): valid task '\(spec.name ?? "(unnamed)")', \(spec.numNodes) node(s)\n")
            }
        } catch let error as TaskError {
            Terminal.err("error: \(error)\n")
            throw ExitCode(2)
        }
    }
}
