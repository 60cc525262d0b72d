import Foundation
import SwiftletController
import Testing

/// `swiftlet-agent gpus` on machines laid out from captures (``CapturedMachine``).
@Suite struct GPUDiscoveryTests {
    static let heterogeneous = "nvidia-smi-csv_heterogeneous_A5000+RTX4500Ada.txt"
    static let a10g = "proc-driver-nvidia-gpus-information_A10G.txt"

    func models(_ inventory: [String: Any]) -> [String] {
        (inventory["gpus"] as? [[String: Any]] ?? []).compactMap { $0["model"] as? String }
    }

    @Test func nvidiaSMIIsAskedForItsQueryCSV() async throws {
        let machine = try CapturedMachine()
        defer { machine.remove() }
        try machine.device("nvidiactl")
        try machine.tool(
            "nvidia-smi",
            [("*--query-gpu=index,uuid,name,memory.total,pci.bus_id*--format=csv*", try CapturedMachine.capture(Self.heterogeneous))]
        )
        let inventory = try await machine.inventory()
        #expect(inventory["source"] as? String == "nvidia-smi")
        #expect(models(inventory) == ["A5000", "RTX4500-Ada"])
        #expect(inventory["driver_version"] as? String == "610.57.04")
        let gpus = inventory["gpus"] as? [[String: Any]] ?? []
        #expect(gpus.map { $0["memory_mib"] as? Int } == [24564, 24570])
    }

    @Test func withoutNvidiaSMITheKernelDriversFilesAreRead() async throws {
        let machine = try CapturedMachine()
        defer { machine.remove() }
        try machine.device("nvidiactl")
        try machine.file("/proc/driver/nvidia/gpus/0000:00:1e.0/information", try CapturedMachine.capture(Self.a10g))
        let inventory = try await machine.inventory()
        #expect(inventory["source"] as? String == "/proc/driver/nvidia")
        #expect(models(inventory) == ["A10G"])
        #expect((inventory["gpus"] as? [[String: Any]])?.first?["uuid"] as? String == "GPU-82523fd8-3897-f599-d088-ccd04ae45ec1")
    }

    /// A driver in a bad state makes `nvidia-smi` hang: the agent gives up on it and reads the
    /// driver's files.
    @Test func aHangingNvidiaSMIIsGivenUpOn() async throws {
        let machine = try CapturedMachine()
        defer { machine.remove() }
        try machine.device("nvidiactl")
        try machine.file("/proc/driver/nvidia/gpus/0000:00:1e.0/information", try CapturedMachine.capture(Self.a10g))
        try machine.tool("nvidia-smi", [("*", "never printed")], delay: 600)
        let started = ContinuousClock.now
        let inventory = try await machine.inventory()
        #expect(ContinuousClock.now - started < .seconds(60))
        #expect(models(inventory) == ["A10G"])
    }

    @Test func amdSMIThenRocmSMI() async throws {
        let machine = try CapturedMachine()
        defer { machine.remove() }
        try machine.device("kfd")
        let rocm = try CapturedMachine.capture("rocm-smi-json_2xMI100_rocm602.json")
        try machine.tool("rocm-smi", [("*--showproductname*--json*", rocm)])
        var inventory = try await machine.inventory()
        #expect(inventory["source"] as? String == "rocm-smi")
        #expect(models(inventory) == Array(repeating: "MI100", count: 4))
        let wrapped = try CapturedMachine.capture("amd-smi-static-json_MI300X_rocm6-flat_vs_rocm7-wrapped.txt")
            .split(separator: "\n").filter { !$0.hasPrefix("#") }[1]
        try machine.tool("amd-smi", [("static --json*", String(wrapped))])
        inventory = try await machine.inventory()
        #expect(inventory["source"] as? String == "amd-smi")
        #expect(models(inventory) == ["MI300X"])
    }

    /// A host with an AMD iGPU and an NVIDIA card is an NVIDIA host.
    @Test func nvidiaComesBeforeAMD() async throws {
        let machine = try CapturedMachine()
        defer { machine.remove() }
        try machine.device("kfd")
        try machine.device("nvidiactl")
        try machine.tool("nvidia-smi", [("*--query-gpu*", try CapturedMachine.capture(Self.heterogeneous))])
        try machine.tool("rocm-smi", [("*", "{}")])
        #expect(models(try await machine.inventory()) == ["A5000", "RTX4500-Ada"])
    }

    /// In a pod or a Slurm step, the GPUs the scheduler granted are all the agent hands out.
    @Test func whatASchedulerGrantedLimitsTheInventory() async throws {
        let machine = try CapturedMachine()
        defer { machine.remove() }
        try machine.device("nvidiactl")
        try machine.tool("nvidia-smi", [("*--query-gpu*", try CapturedMachine.capture(Self.heterogeneous))])
        let byUUID = try await machine.inventory(["CUDA_VISIBLE_DEVICES": "GPU-fbe2dd5d-3644-5c37-3179-8ad50079b7d4"])
        #expect(models(byUUID) == ["RTX4500-Ada"])
        #expect(byUUID["granted_by"] as? String == "CUDA_VISIBLE_DEVICES=GPU-fbe2dd5d-3644-5c37-3179-8ad50079b7d4")
        #expect(models(try await machine.inventory(["NVIDIA_VISIBLE_DEVICES": "0"])) == ["A5000"])
        #expect(models(try await machine.inventory(["NVIDIA_VISIBLE_DEVICES": "all"])) == ["A5000", "RTX4500-Ada"])
        #expect(models(try await machine.inventory(["CUDA_VISIBLE_DEVICES": ""])) == [])
    }

    @Test func noDevicesNoGPUsAndNoToolIsRun() async throws {
        let machine = try CapturedMachine()
        defer { machine.remove() }
        try machine.tool("nvidia-smi", [("*", "")])
        let inventory = try await machine.inventory()
        #expect(inventory["source"] as? String == "none")
        #expect(models(inventory).isEmpty)
    }
}
