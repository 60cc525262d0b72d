import SwiftletGPU
import SwiftletPOSIX

#if canImport(Glibc)
    import Glibc
#endif

/// Finds the node's GPUs, by the agent itself: never through NVML (a static binary must not
/// `dlopen` the host's libraries), only through what the drivers and their tools print.
///
/// NVIDIA first (`/dev/nvidiactl`: a host with an AMD iGPU and an NVIDIA card is an NVIDIA
/// host): `nvidia-smi`'s query CSV, its `-L` listing for cards in MIG mode, else the kernel
/// driver's `/proc/driver/nvidia/gpus/*/information`. AMD (`/dev/kfd`): `amd-smi`, else
/// `rocm-smi`. Then only what a scheduler granted (`CUDA_VISIBLE_DEVICES` and the like).
///
/// `root` is where `/dev`, `/proc` and `/sys` are read (`/`; a captured machine laid out in a
/// directory for tests); the tools are found on `PATH`.
struct GPUDiscovery {
    var root = SwiftletConfiguration.process.gpuRoot ?? ""
    var environment: [String: String]

    func inventory() -> GPUInventory {
        if let count = SwiftletConfiguration.process.nodeGPUs { return .configured(count: count) }
        let found: GPUInventory
        if exists("/dev/nvidiactl") {
            found = nvidia()
        } else if exists("/dev/kfd") {
            found = amd()
        } else {
            found = .empty
        }
        return found.granted(by: environment)
    }

    private func exists(_ path: String) -> Bool { access(root + path, F_OK) == 0 }

    private func tool(_ name: String, _ arguments: [String]) -> String? {
        // In a container without CDI the driver's tools are mounted where CUDA images look.
        guard let path = CommandCapture.find(name, in: environment["PATH"]) ?? CommandCapture.find(name, in: "/usr/local/nvidia/bin"),
            let result = CommandCapture.run([path] + arguments, environment: environment), result.succeeded
        else { return nil }
        return result.output
    }

    private func nvidia() -> GPUInventory {
        let fromDriver = driverFiles()
        let query = "--query-gpu=" + NvidiaSMIOutput.queryFields.joined(separator: ",")
        guard let csv = tool("nvidia-smi", [query, "--format=csv,noheader,nounits"]) else {
            return GPUInventory(source: .nvidiaProc, vendor: fromDriver.isEmpty ? nil : .nvidia, devices: fromDriver)
        }
        var cards = NvidiaSMIOutput.cards(csv: csv)
        // The device files' minors come from the driver, matched by bus (for containers without CDI).
        for (position, card) in cards.enumerated() {
            let bus = card.device.busID.map(Self.normalizedBus)
            cards[position].device.minor = fromDriver.first { $0.busID.map(Self.normalizedBus) == bus }?.minor ?? card.device.index
        }
        let instances = cards.contains(where: \.migEnabled) ? NvidiaSMIOutput.migInstances(list: tool("nvidia-smi", ["-L"]) ?? "") : []
        return GPUInventory.nvidia(cards: cards, instances: instances)
    }

    /// The cards `/proc/driver/nvidia/gpus/<bus>/information` describes, in bus order.
    private func driverFiles() -> [GPUDevice] {
        let directory = root + "/proc/driver/nvidia/gpus"
        return FileSystem.entries(of: directory).sorted().enumerated().compactMap { index, bus in
            NvidiaProcInformation.device(FileSystem.contents(of: directory + "/" + bus + "/information"), index: index)
        }
    }

    private func amd() -> GPUInventory {
        if let json = tool("amd-smi", ["static", "--json", "--asic", "--vram", "--bus"]),
            let devices = AMDSMIOutput.devices(amdSMI: json), !devices.isEmpty
        {
            return GPUInventory(source: .amdSMI, vendor: .amd, devices: devices)
        }
        let arguments = ["--showproductname", "--showmeminfo", "vram", "--showuniqueid", "--showbus", "--json"]
        if let json = tool("rocm-smi", arguments), let devices = AMDSMIOutput.devices(rocmSMI: json), !devices.isEmpty {
            return GPUInventory(source: .rocmSMI, vendor: .amd, devices: devices)
        }
        return .empty
    }

    /// The render node (`/dev/dri/renderD128`) of the AMD GPU at `bus`, from `/sys`.
    func renderNode(bus: String) -> String? {
        let directory = root + "/sys/bus/pci/devices/" + bus.lowercased() + "/drm"
        return FileSystem.entries(of: directory).first { $0.hasPrefix("renderD") }.map { "/dev/dri/" + $0 }
    }

    /// `00000000:3F:00.0` and `0000:3f:00.0` name the same bus.
    static func normalizedBus(_ bus: String) -> String {
        let parts = bus.lowercased().split(separator: ":", maxSplits: 1)
        guard parts.count == 2 else { return bus.lowercased() }
        let domain = parts[0].drop { $0 == "0" }
        return (domain.isEmpty ? "0" : String(domain)) + ":" + parts[1]
    }
}
