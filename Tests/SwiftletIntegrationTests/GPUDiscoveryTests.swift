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
        // Given up on (the tool would hang for 600 s), however loaded the machine: a loaded CI
        // run took 61 s to read this captured machine.
        #expect(ContinuousClock.now - started < .seconds(300))
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

/// `swiftlet-agent gpus --for-container`: what a container's host gives a new container.
@Suite struct ContainerGPUPickTests {
    func pick(_ machine: CapturedMachine, _ arguments: String) async throws -> (code: Int32, output: String) {
        try await TestSupport.shell(
            "env -i PATH='\(machine.bin):/usr/bin:/bin' '\(TestSupport.agentPath)' gpus --root '\(machine.root)' --for-container \(arguments)"
        )
    }

    @Test func theFreeGPUsAreGivenWithCDIOrWithTheDriversFiles() async throws {
        let (machine, uuids) = try GPUJobTests.fourA10Gs()
        defer { machine.remove() }
        // Without a CDI spec: the device files (minor = index here) and the driver's files.
        try machine.file("/usr/lib/x86_64-linux-gnu/libcuda.so.1", "")
        var picked = try await pick(machine, "podman --choices A10G:2 --taken \(uuids[0]),")
        #expect(picked.code == 0, "\(picked.output)")
        #expect(picked.output.contains("uuids \(uuids[1]),\(uuids[2])\n"), "\(picked.output)")
        #expect(
            picked.output.contains("'--device' '/dev/nvidia1' '--device' '/dev/nvidia2' '--device' '/dev/nvidiactl'"),
            "\(picked.output)"
        )
        #expect(picked.output.contains("'--volume' '/usr/lib/x86_64-linux-gnu/libcuda.so.1:/usr/local/nvidia/lib64/libcuda.so.1:ro'"))
        #expect(picked.output.contains("'--env' 'NVIDIA_VISIBLE_DEVICES=\(uuids[1]),\(uuids[2])'"))
        // With one: the CDI devices.
        try machine.file("/etc/cdi/nvidia.yaml", "cdiVersion: 0.5.0\nkind: nvidia.com/gpu\n")
        picked = try await pick(machine, "podman --choices A10G:1")
        #expect(picked.output.contains("flags '--device' 'nvidia.com/gpu=\(uuids[0])' '--env'"), "\(picked.output)")
        picked = try await pick(machine, "docker --choices H100:1,A10G:2")
        #expect(picked.output.contains("flags '--gpus' '\"device=\(uuids[0]),\(uuids[1])\"'"), "\(picked.output)")
        // What other containers hold is not given twice.
        picked = try await pick(machine, "docker --choices A10G:4 --taken \(uuids[3])")
        #expect(picked.code == 1)
        #expect(picked.output.contains("the job needs A10G:4; this host has A10G:3 free (1 held by other containers)"), "\(picked.output)")
    }

    @Test func anAMDContainerGetsKFDAndItsGPUsRenderNodes() async throws {
        let machine = try CapturedMachine()
        defer { machine.remove() }
        try machine.device("kfd")
        try machine.tool("rocm-smi", [("*--json*", try CapturedMachine.capture("rocm-smi-json_2xMI100_rocm602.json"))])
        try machine.file("/sys/bus/pci/devices/0000:83:00.0/drm/renderD128/uevent", "")
        try machine.file("/sys/bus/pci/devices/0000:a3:00.0/drm/renderD136/uevent", "")
        let picked = try await pick(machine, "docker --choices MI100:2")
        #expect(picked.code == 0, "\(picked.output)")
        #expect(
            picked.output.contains("flags '--device' '/dev/kfd' '--device' '/dev/dri/renderD128' '--device' '/dev/dri/renderD136'\n"),
            "\(picked.output)"
        )
    }
}

/// `swiftlet gpus --infra ssh/POOL`: every host of the pool, asked through its agent.
@Suite struct PoolGPUTests {
    let cli = CommandLineTests()

    @Test(.enabled(if: Testbed.available)) func everyHostOfAPoolIsAsked() async throws {
        let home = try TestSupport.makeHome()
        try Testbed.installPool("two", hosts: [4, 5], in: home)
        let run = try await cli.swiftlet(["gpus", "--infra", "ssh/two"], home: home)
        #expect(run.code == 0, "\(run.stderr)")
        let rows = run.stdout.split(separator: "\n").dropFirst()
        #expect(rows.count == 2 && rows.allSatisfy { $0.contains("no GPUs") }, "\(run.stdout)")
        #expect(rows.first?.contains(Testbed.host(4).address) == true, "\(run.stdout)")
        let unknown = try await cli.swiftlet(["gpus", "--infra", "ssh/none"], home: home)
        #expect(unknown.code != 0 && unknown.stderr.contains("no pool 'none'"), "\(unknown.stderr)")
    }
}
