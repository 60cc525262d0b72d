import SwiftletGPU
import SwiftletPOSIX

/// `swiftlet-agent gpus`: what the agent finds on this machine, as the daemon will find it.
enum GPUCommand {
    static let usage = """
        usage: swiftlet-agent gpus [--json] [--root DIR]
               swiftlet-agent gpus --for-container docker|podman --choices NAME:COUNT[,…] [--taken UUID,…] [--root DIR]
        """

    static func run(_ arguments: ArraySlice<String>) -> Int32 {
        var json = false
        var container: String?
        var choices = ""
        var taken = ""
        var root = SwiftletConfiguration.process.gpuRoot ?? ""
        var rest = arguments
        while let argument = rest.popFirst() {
            switch argument {
            case "--json": json = true
            case "--for-container": container = rest.popFirst() ?? ""
            case "--choices": choices = rest.popFirst() ?? ""
            case "--taken": taken = rest.popFirst() ?? ""
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
        if let container { return ContainerGPUCommand.run(runtime: container, choices: choices, taken: taken, root: root) }
        let inventory = GPUDiscovery(root: root, environment: Environment.all()).inventory()
        writeOutput(json ? inventory.json : inventory.table)
        return 0
    }
}
