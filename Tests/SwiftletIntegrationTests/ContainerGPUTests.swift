import Foundation
import SwiftletController
import SwiftletPOSIX
import Testing

/// GPUs into containers with real podman: the host's four A10Gs come from a captured machine
/// (``GPUJobTests/fourA10Gs()``), and a CDI spec stands in for the one `nvidia-ctk cdi generate`
/// writes: each `nvidia.com/gpu=UUID` device mounts a mark named after its UUID, and every
/// container gets `/dev/nvidiactl` and the stand-in `nvidia-smi` where CUDA images look. What
/// podman is asked for, what each container gets, and what the agent inside hands its jobs are
/// the real ones.
@Suite(.serialized) struct ContainerGPUTests {
    let cli = CommandLineTests()

    /// The CDI spec, written where podman reads it and under the captured machine's root (where
    /// the host's agent looks for one); removed by the returned closure.
    static func cdiSpec(_ machine: CapturedMachine, uuids: [String]) throws -> () -> Void {
        let devices = try uuids.map { uuid in
            try machine.file("/marks/" + uuid, uuid)
            let mount =
                #"{"hostPath": "\#(machine.root)/marks/\#(uuid)", "containerPath": "/swiftlet-test-gpus/\#(uuid)", "options": ["ro", "bind"]}"#
            return #"{"name": "\#(uuid)", "containerEdits": {"mounts": [\#(mount)]}}"#
        }
        let spec = """
            {"cdiVersion": "0.5.0", "kind": "nvidia.com/gpu", "devices": [\(devices.joined(separator: ", "))],
             "containerEdits": {
               "deviceNodes": [{"path": "/dev/nvidiactl", "hostPath": "/dev/null"}],
               "mounts": [
                 {"hostPath": "\(machine.bin)/nvidia-smi", "containerPath": "/usr/local/nvidia/bin/nvidia-smi", "options": ["ro", "bind"]},
                 {"hostPath": "\(machine.root)/replies", "containerPath": "\(machine.root)/replies", "options": ["ro", "bind"]}
               ]}}
            """
        try machine.file("/etc/cdi/swiftlet-test-gpus.json", spec)
        try FileManager.default.createDirectory(atPath: "/etc/cdi", withIntermediateDirectories: true)
        let system = "/etc/cdi/swiftlet-test-gpus-\(UUID().uuidString.prefix(8)).json"
        try spec.write(toFile: system, atomically: true, encoding: .utf8)
        return { try? FileManager.default.removeItem(atPath: system) }
    }

    func task(_ accelerators: String) throws -> String {
        let path = NSTemporaryDirectory() + "gpu-task-\(UUID().uuidString.prefix(8)).yaml"
        try """
        resources:
          image_id: docker:localhost/swiftlet-test/busybox:1
          accelerators: \(accelerators)
        run: |
          echo "cuda=$CUDA_VISIBLE_DEVICES"
          echo "container=$(ls /swiftlet-test-gpus | tr '\\n' ',')"
        """.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test(.enabled(if: ContainerTests.prepared))
    func eachContainerGetsItsOwnGPUsAndItsJobsExactlyThose() async throws {
        let (machine, uuids) = try GPUJobTests.fourA10Gs()
        defer { machine.remove() }
        let removeSpec = try Self.cdiSpec(machine, uuids: uuids)
        defer { removeSpec() }
        let home = try TestSupport.makeHome()
        let environment = ContainerTests.environment(.podman).merging([
            "SWIFTLET_GPU_ROOT": machine.root,
            "PATH": machine.bin + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"),
        ]) { $1 }
        func value(_ key: String, in output: String) -> Set<String> {
            guard let line = output.split(separator: "\n").first(where: { $0.contains(" \(key)=") }),
                let start = line.range(of: " \(key)=")?.upperBound
            else { return [] }
            return Set(line[start...].split(separator: ",").map(String.init))
        }
        let first = try await cli.swiftlet(["launch", try task("A10G:2"), "-c", "gpu-a"], home: home, environment: environment)
        #expect(first.code == 0, "\(first.stderr)")
        let second = try await cli.swiftlet(["launch", try task("A10G:2"), "-c", "gpu-b"], home: home, environment: environment)
        #expect(second.code == 0, "\(second.stderr)")
        // Each container was given two GPUs, no other container's; its job sees exactly them.
        let given = [first, second].map { value("container", in: $0.stdout) }
        #expect(given[0].count == 2 && given[1].count == 2 && given[0].isDisjoint(with: given[1]), "\(first.stdout) \(second.stdout)")
        #expect(given[0].union(given[1]) == Set(uuids))
        #expect(value("cuda", in: first.stdout) == given[0] && value("cuda", in: second.stdout) == given[1])
        let labels = try await TestSupport.shell(
            "podman ps --filter label=swiftlet.cluster=gpu-a --format '{{index .Labels \"swiftlet.gpus\"}}'"
        )
        #expect(Set(labels.output.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: ",").map(String.init)) == given[0])
        // The agent inside counts only its container's GPUs.
        let shown = try await cli.swiftlet(["gpus", "gpu-a", "--json"], home: home, environment: environment)
        let nodes = try JSONDecoder().decode([NodeInspection.Node].self, from: Data(shown.stdout.utf8))
        #expect(Set(nodes.first?.gpuList?.map(\.uuid) ?? []) == given[0], "\(shown.stdout) \(shown.stderr)")
        // None is left for a third.
        let third = try await cli.swiftlet(["launch", try task("A10G:1"), "-c", "gpu-c"], home: home, environment: environment)
        #expect(third.code != 0)
        #expect(
            third.stderr.contains(
                "cannot give the container its GPUs: the job needs A10G:1; this host has no GPUs free (4 held by other containers)"
            ),
            "\(third.stderr)"
        )
        for cluster in ["gpu-a", "gpu-b"] { _ = try await cli.swiftlet(["down", cluster], home: home, environment: environment) }
        // Taken down, their GPUs are free again.
        let again = try await cli.swiftlet(["launch", try task("A10G:4"), "-c", "gpu-d"], home: home, environment: environment)
        #expect(again.code == 0, "\(again.stderr)")
        #expect(value("container", in: again.stdout) == Set(uuids))
        _ = try await cli.swiftlet(["down", "gpu-d"], home: home, environment: environment)
    }
}
