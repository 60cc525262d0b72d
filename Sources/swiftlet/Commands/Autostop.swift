import ArgumentParser
import SwiftletController

struct Autostop: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "autostop",
        abstract: "Stop (or with --down, tear down) clusters once idle: no job running or waiting for N minutes.",
        discussion: "The head node keeps count, so it happens with this machine off; 'swiftlet status' then tells it."
    ).underSwiftlet

    @Argument(help: "The clusters.")
    var clusters: [String] = []

    @Flag(name: [.customShort("a"), .long], help: "Every cluster.")
    var all = false

    @Option(name: [.customShort("i"), .customLong("idle-minutes")], help: "Idle minutes (default 5, as SkyPilot's).")
    var idleMinutes: Int?

    @Flag(help: "Tear the cluster down instead of stopping it.")
    var down = false

    @Flag(help: "Cancel the cluster's autostop.")
    var cancel = false

    @Flag(name: [.customShort("y"), .long], help: "Do not ask (accepted for SkyPilot's scripts).")
    var yes = false

    func validate() throws {
        guard clusters.isEmpty == all else {
            throw ValidationError(all ? "-a takes no cluster names" : "name a cluster (or several), or -a")
        }
        if cancel && idleMinutes != nil { throw ValidationError("give either --idle-minutes or --cancel, not both") }
        if let idleMinutes, idleMinutes < 0 { throw ValidationError("--idle-minutes expects minutes, 0 or more, got \(idleMinutes)") }
    }

    func run() async throws {
        let setting = cancel ? nil : ClusterRecord.AutostopSetting(minutes: idleMinutes ?? 5, down: down)
        let home = SwiftletHome.fromEnvironment()
        let names = all ? ClusterStore(home: home).all().clusters.map(\.name) : clusters
        var code: Int32 = 0
        for name in names {
            code = max(
                code,
                try await CommandEnvironment.reportingErrors {
                    try await AutostopControl.apply(setting, to: name, connector: try CommandEnvironment.runner().connector)
                    Terminal.err(
                        setting.map { "Cluster '\(name)': \($0.down ? "autodown" : "autostop") after \($0.minutes) idle minutes.\n" }
                            ?? "Cluster '\(name)': autostop cancelled.\n"
                    )
                    return 0
                }
            )
        }
        throw ExitCode(code)
    }
}
