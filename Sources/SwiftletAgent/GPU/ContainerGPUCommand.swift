import SwiftletGPU
import SwiftletPOSIX

#if canImport(Glibc)
    import Glibc
#endif

/// `swiftlet-agent gpus --for-container RUNTIME --choices H100:8[,A100-80GB:8] [--taken UUID,…]`:
/// run on a container's host by its bring-up snippet (the agent the host lends its containers),
/// it picks the host's GPUs for a new container, leaving those other containers hold, and prints
///
/// ```
/// uuids GPU-…,GPU-…
/// flags '--gpus' '"device=GPU-…,GPU-…"' …
/// ```
/// (the options as shell words, for the snippet's `eval "set -- $flags"`). Exits 1 with the
/// reason on stderr when the host cannot give them.
enum ContainerGPUCommand {
    static func run(runtime: String, choices: String, taken: String, root: String) -> Int32 {
        guard ["docker", "podman"].contains(runtime), !choices.isEmpty else {
            writeError("swiftlet-agent gpus: --for-container takes docker or podman, and --choices NAME:COUNT[,…]")
            return 64
        }
        let discovery = GPUDiscovery(root: root, environment: Environment.all())
        let inventory = discovery.inventory()
        let held = Set(taken.split(separator: ",").map(String.init))
        let devices: [GPUDevice]
        switch GPURequest.devices(for: GPURequest.choices(choices, count: 1), on: inventory.devices, taken: held) {
        case .success(let chosen): devices = chosen
        case .failure(let unmet):
            writeError(unmet.description)
            return 1
        }
        var renderNodes: [String: String] = [:]
        for device in devices where device.vendor == .amd {
            if let bus = device.busID, let node = discovery.renderNode(bus: bus) { renderNodes[device.uuid] = node }
        }
        let host = ContainerGPUFlags.Host(
            nvidiaCDI: hasNvidiaCDISpec(root: root),
            driverFiles: driverFiles(root: root),
            renderNodes: renderNodes
        )
        switch ContainerGPUFlags.arguments(runtime: runtime, devices: devices, host: host) {
        case .success(let arguments):
            writeOutput("uuids \(devices.map(\.uuid).joined(separator: ","))\nflags \(arguments.map(quoted).joined(separator: " "))\n")
            return 0
        case .failure(let unavailable):
            writeError("cannot give the container its GPUs: \(unavailable)")
            return 1
        }
    }

    /// Whether a CDI spec names `nvidia.com/gpu` devices.
    static func hasNvidiaCDISpec(root: String) -> Bool {
        ["/etc/cdi", "/var/run/cdi"].contains { directory in
            FileSystem.entries(of: root + directory).contains { name in
                (name.hasSuffix(".yaml") || name.hasSuffix(".json"))
                    && FileSystem.contents(of: root + directory + "/" + name).contains("nvidia.com/gpu")
            }
        }
    }

    /// The NVIDIA driver's user-space files a container without CDI needs, as host paths.
    static func driverFiles(root: String) -> [String] {
        let libraries = ["libcuda.so", "libnvidia-ml.so", "libnvidia-ptxjitcompiler.so", "libnvidia-nvvm.so"]
        var files: [String] = []
        for directory in ["/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/usr/lib64", "/usr/lib"] {
            for name in FileSystem.entries(of: root + directory).sorted() where libraries.contains(where: { name.hasPrefix($0) }) {
                if !files.contains(where: { $0.hasSuffix("/" + name) }) { files.append(directory + "/" + name) }
            }
        }
        for tool in ["nvidia-smi"] {
            if let path = CommandCapture.find(tool, in: Environment.get("PATH")) { files.append(path) }
        }
        return files
    }

    static func quoted(_ word: String) -> String {
        "'" + word.split(separator: "'", omittingEmptySubsequences: false).joined(separator: "'\\''") + "'"
    }
}
