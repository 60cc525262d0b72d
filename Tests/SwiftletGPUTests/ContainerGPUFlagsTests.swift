import Testing

@testable import SwiftletGPU

/// The options that map exactly a container's GPUs, as each runtime is given them.
@Suite struct ContainerGPUFlagsTests {
    let two = [
        GPUDevice(vendor: .nvidia, index: 2, uuid: "GPU-aaa", name: "NVIDIA H100 80GB HBM3", minor: 5),
        GPUDevice(vendor: .nvidia, index: 3, uuid: "GPU-bbb", name: "NVIDIA H100 80GB HBM3", minor: 6),
    ]

    @Test func dockerGetsOneQuotedDeviceList() throws {
        let arguments = try ContainerGPUFlags.arguments(runtime: "docker", devices: two, host: .init()).get()
        #expect(arguments == ["--gpus", "\"device=GPU-aaa,GPU-bbb\"", "--env", "NVIDIA_VISIBLE_DEVICES=GPU-aaa,GPU-bbb"])
    }

    @Test func podmanWithACDISpecNamesTheCDIDevices() throws {
        let arguments = try ContainerGPUFlags.arguments(runtime: "podman", devices: two, host: .init(nvidiaCDI: true)).get()
        #expect(
            arguments == [
                "--device", "nvidia.com/gpu=GPU-aaa", "--device", "nvidia.com/gpu=GPU-bbb", "--env",
                "NVIDIA_VISIBLE_DEVICES=GPU-aaa,GPU-bbb",
            ]
        )
    }

    @Test func podmanWithoutCDIGetsTheDeviceFilesAndTheDriversFiles() throws {
        let host = ContainerGPUFlags.Host(driverFiles: ["/usr/lib/x86_64-linux-gnu/libcuda.so.1", "/usr/bin/nvidia-smi"])
        let arguments = try ContainerGPUFlags.arguments(runtime: "podman", devices: two, host: host).get()
        #expect(
            arguments == [
                "--device", "/dev/nvidia5", "--device", "/dev/nvidia6",
                "--device", "/dev/nvidiactl", "--device", "/dev/nvidia-uvm", "--device", "/dev/nvidia-uvm-tools",
                "--volume", "/usr/lib/x86_64-linux-gnu/libcuda.so.1:/usr/local/nvidia/lib64/libcuda.so.1:ro",
                "--volume", "/usr/bin/nvidia-smi:/usr/local/nvidia/bin/nvidia-smi:ro",
                "--env", "NVIDIA_VISIBLE_DEVICES=GPU-aaa,GPU-bbb",
            ]
        )
        #expect(throws: ContainerGPUFlags.Unavailable.self) {
            try ContainerGPUFlags.arguments(runtime: "podman", devices: two, host: .init()).get()
        }
    }

    @Test func amdGetsKFDAndEachGPUsRenderNode() throws {
        let mi300 = [
            GPUDevice(vendor: .amd, index: 0, uuid: "GPU-8d14", name: "AMD Instinct MI300X"),
            GPUDevice(vendor: .amd, index: 1, uuid: "GPU-b4fa", name: "AMD Instinct MI300X"),
        ]
        let host = ContainerGPUFlags.Host(renderNodes: ["GPU-8d14": "/dev/dri/renderD128", "GPU-b4fa": "/dev/dri/renderD136"])
        for runtime in ["docker", "podman"] {
            let arguments = try ContainerGPUFlags.arguments(runtime: runtime, devices: mi300, host: host).get()
            #expect(arguments == ["--device", "/dev/kfd", "--device", "/dev/dri/renderD128", "--device", "/dev/dri/renderD136"])
        }
    }

    @Test func noGPUsNoOptions() throws {
        #expect(try ContainerGPUFlags.arguments(runtime: "docker", devices: [], host: .init()).get().isEmpty)
    }
}
