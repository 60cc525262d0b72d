/// The `docker run` / `podman run` options that give a container exactly some GPUs:
/// - docker: `--gpus "device=UUID,UUID"` (the quotes are part of the value: docker splits it as
///   CSV, and a bare `device=A,B` would read as two options);
/// - podman with a CDI spec for NVIDIA (`nvidia-ctk cdi generate`): `--device nvidia.com/gpu=UUID`;
/// - podman without one: the device files (`/dev/nvidiaN`, `/dev/nvidiactl`, `/dev/nvidia-uvm`, …)
///   and the driver's user-space files, read-only, where NVIDIA's CUDA images look for them
///   (`/usr/local/nvidia/lib64`, `/usr/local/nvidia/bin`);
/// - AMD, either runtime: `/dev/kfd` and each GPU's render node.
/// NVIDIA containers also get `NVIDIA_VISIBLE_DEVICES`, so an agent inside hands out only these.
public enum ContainerGPUFlags {
    /// What the host has that decides the options.
    public struct Host: Hashable, Sendable {
        /// A CDI spec for `nvidia.com/gpu` devices exists (`/etc/cdi`, `/var/run/cdi`).
        public var nvidiaCDI: Bool
        /// The driver's libraries and tools on the host (absolute paths).
        public var driverFiles: [String]
        /// Each AMD GPU's render node, by UUID.
        public var renderNodes: [String: String]

        public init(nvidiaCDI: Bool = false, driverFiles: [String] = [], renderNodes: [String: String] = [:]) {
            self.nvidiaCDI = nvidiaCDI
            self.driverFiles = driverFiles
            self.renderNodes = renderNodes
        }
    }

    /// The options for `runtime` (`docker` or `podman`) giving `devices`; nil with the reason
    /// when the host cannot give them this way.
    public static func arguments(runtime: String, devices: [GPUDevice], host: Host) -> Result<[String], Unavailable> {
        guard let vendor = devices.first?.vendor else { return .success([]) }
        switch vendor {
        case .amd:
            var arguments = ["--device", "/dev/kfd"]
            for device in devices {
                guard let node = host.renderNodes[device.uuid] else {
                    return .failure(
                        Unavailable(description: "no render node found for AMD GPU \(device.index) (\(device.busID ?? device.uuid))")
                    )
                }
                arguments += ["--device", node]
            }
            return .success(arguments)
        case .nvidia:
            let uuids = devices.map(\.uuid)
            let visible = ["--env", "NVIDIA_VISIBLE_DEVICES=" + uuids.joined(separator: ",")]
            if runtime == "docker" {
                return .success(["--gpus", "\"device=\(uuids.joined(separator: ","))\""] + visible)
            }
            if host.nvidiaCDI {
                return .success(uuids.flatMap { ["--device", "nvidia.com/gpu=\($0)"] } + visible)
            }
            if devices.contains(where: { $0.migProfile != nil }) {
                return .failure(Unavailable(description: "MIG instances need a CDI spec with podman (nvidia-ctk cdi generate)"))
            }
            guard host.driverFiles.contains(where: { $0.contains("/libcuda.so") }) else {
                return .failure(Unavailable(description: "neither a CDI spec nor the driver's libcuda.so was found on the host"))
            }
            var arguments: [String] = []
            for device in devices { arguments += ["--device", "/dev/nvidia\(device.minor ?? device.index)"] }
            for control in ["/dev/nvidiactl", "/dev/nvidia-uvm", "/dev/nvidia-uvm-tools"] { arguments += ["--device", control] }
            for file in host.driverFiles {
                let name = file.split(separator: "/").last.map(String.init) ?? file
                let target = file.contains("/bin/") ? "/usr/local/nvidia/bin/" : "/usr/local/nvidia/lib64/"
                arguments += ["--volume", "\(file):\(target)\(name):ro"]
            }
            return .success(arguments + visible)
        }
    }

    /// Why a host cannot give a container its GPUs.
    public struct Unavailable: Error, Hashable, Sendable, CustomStringConvertible {
        public var description: String
    }
}
