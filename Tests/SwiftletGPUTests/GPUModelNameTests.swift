import Testing

@testable import SwiftletGPU

/// SkyPilot's names for what drivers print.
@Suite struct GPUModelNameTests {
    @Test(arguments: [
        ("NVIDIA H100 80GB HBM3", "H100"),
        ("NVIDIA H100 NVL", "H100"),
        ("NVIDIA H200", "H200"),
        ("NVIDIA GH200 480GB", "GH200"),
        ("NVIDIA A100-SXM4-80GB", "A100-80GB"),
        ("NVIDIA A100 80GB PCIe", "A100-80GB"),
        ("NVIDIA A100-SXM4-40GB", "A100"),
        ("NVIDIA A10G", "A10G"),
        ("NVIDIA A10", "A10"),
        ("Tesla T4", "T4"),
        ("NVIDIA L4", "L4"),
        ("NVIDIA L40", "L40"),
        ("NVIDIA L40S", "L40S"),
        ("Tesla V100-SXM2-32GB", "V100-32GB"),
        ("Tesla V100-SXM2-16GB", "V100"),
        ("NVIDIA RTX A6000", "A6000"),
        ("NVIDIA RTX 6000 Ada Generation", "RTX6000-Ada"),
        ("NVIDIA RTX 4500 Ada Generation", "RTX4500-Ada"),
        ("NVIDIA GeForce RTX 4090", "RTX4090"),
        ("Quadro RTX 6000", "RTX6000"),
        ("H100_NVLINK_80GB", "H100"),
        ("AMD Instinct MI300X", "MI300X"),
        ("AMD Instinct MI300X OAM", "MI300X"),
        ("AMD Instinct MI250X/MI250", "MI250X"),
        ("Arcturus GL-XL [Instinct MI100]", "MI100"),
    ])
    func driverNamesReadAsSkyPilotNamesThem(name: String, model: String) {
        #expect(GPUModelName.canonical(name) == model)
    }

    @Test func requestsMatchModelsAsSkyPilotDoes() {
        #expect(GPUModelName.matches(requested: "h100", model: "H100"))
        #expect(GPUModelName.matches(requested: "H100-80GB", model: "H100"))
        #expect(!GPUModelName.matches(requested: "A100-80GB", model: "A100"))
        #expect(!GPUModelName.matches(requested: "L4", model: "L40S"))
    }

    @Test func aRequestNamesWhatTheNodeLacks() {
        let h100s = (0..<8).map { GPUDevice(vendor: .nvidia, index: $0, uuid: "GPU-\($0)", name: "NVIDIA A100-SXM4-80GB") }
        #expect(GPURequest(models: ["H100"], count: 8).unmet(by: h100s) == "the job needs H100:8; this node has A100-80GB:8")
        #expect(GPURequest(models: ["A100-80GB"], count: 9).unmet(by: h100s) == "the job needs A100-80GB:9; this node has A100-80GB:8")
        #expect(GPURequest(models: ["H100", "A100-80GB"], count: 8).unmet(by: h100s) == nil)
        #expect(GPURequest(models: ["A100"], count: 1).unmet(by: []) == "the job needs A100:1; this node has no GPUs")
        #expect(GPURequest(models: ["A100-80GB"], count: 0.5).unmet(by: h100s) == nil)
        #expect(GPURequest(models: [], count: 0).unmet(by: []) == nil)
    }
}
