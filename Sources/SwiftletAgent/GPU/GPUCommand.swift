import SwiftletGPU
import SwiftletPOSIX

/// `swiftlet-agent gpus`: what the agent finds on this machine, as the daemon will find it.
enum GPUCommand {
    static let usage = """
        usage: swiftlet-agent gpus [--json] [--root DIR]
        """

    static func run(_ arguments: ArraySlice<String>) -> Int32 {
        var json = false
        var root = SwiftletConfiguration.process.gpuRoot ?? ""
        var rest = arguments
        while let argument = rest.popFirst() {
            switch argument {
            case "--json": json = true
            case "--root":
                guard let directory = rest.popFirst(), directory.hasPrefix("/") else {
                    writeError("swiftlet-agent gpus: --root needs an absolute directory\n" + usage)
                    return 64
                }
                root = directory == "/" ? "" : directory
            default:
                writeError("swiftlet-agent gpus: unknown argument '\(argument)'\n" + usage)
                return 64
            }
        }
        let inventory = GPUDiscovery(root: root, environment: Environment.all()).inventory()
        writeOutput(json ? inventory.json : inventory.table)
        return 0
    }
}
