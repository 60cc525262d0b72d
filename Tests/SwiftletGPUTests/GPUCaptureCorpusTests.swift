import Foundation
import Testing

@testable import SwiftletGPU

/// Every capture in `../shared/fixtures/gpu/`, each with what Swiftlet must make of it. The
/// forms the agent reads (the `--query-gpu` CSV, `nvidia-smi -L`, `/proc/driver/nvidia`,
/// `amd-smi` and `rocm-smi` JSON) go through its readers; the others (tables, `-q`, XML,
/// Kubernetes labels, `rocminfo`) are never read by the agent, and only the names they print in
/// full are checked against SkyPilot's naming.
@Suite struct GPUCaptureCorpusTests {
    static let directory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("shared/fixtures/gpu").path

    static var capturesAreHereOrRequired: Bool {
        FileManager.default.fileExists(atPath: directory) || ProcessInfo.processInfo.environment["CI"] != nil
    }

    /// What each capture reads as: the models (SkyPilot's names) of its GPUs, in order.
    static let expected: [String: @Sendable (Capture) -> [String]] = [
        "amd-smi-static-json_MI300X_rocm6-flat_vs_rocm7-wrapped.txt": { capture in
            capture.documents.flatMap { AMDSMIOutput.devices(amdSMI: $0)?.map(\.model) ?? ["unreadable"] }
        },
        "coreweave-node-labels_H100_issue6701.txt": { labels($0, "gpu.nvidia.com/class") },
        // An excerpt without the product label: it names no model.
        "gfd-node-labels_4xL40_issue4404.txt": { labels($0, "nvidia.com/gpu.product") },
        "nvidia-smi-csv-noheader_H100-NVL_pci-device-id.txt": { capture in
            NvidiaSMIOutput.cards(csv: capture.text, columns: ["name", "pci.device_id"]).map(\.device.model)
        },
        "nvidia-smi-csv_1xA10G_memory.txt": { NvidiaSMIOutput.cards(csv: $0.text).map(\.device.model) },
        "nvidia-smi-csv_1xGTX1660SUPER_mig-NA.txt": { NvidiaSMIOutput.cards(csv: $0.section("--query-gpu")).map(\.device.model) },
        "nvidia-smi-csv_4xA10G_and_L.txt": { NvidiaSMIOutput.cards(csv: $0.section("--query-gpu")).map(\.device.model) },
        "nvidia-smi-csv_heterogeneous_A5000+RTX4500Ada.txt": { NvidiaSMIOutput.cards(csv: $0.text).map(\.device.model) },
        "nvidia-smi-q_8xH100-80GB-HBM3_drv565.txt": { fields($0, "Product Name", separator: ":") },
        "nvidia-smi-qx_a100-sxm4-40gb-mig.xml": { elements($0, "product_name") },
        "nvidia-smi-qx_a100-sxm4-v12.xml": { elements($0, "product_name") },
        "nvidia-smi-qx_a10g.xml": { elements($0, "product_name") },
        "nvidia-smi-qx_tesla-t4.xml": { elements($0, "product_name") },
        "nvidia-smi-table_1xH100-NVL_MIG-enabled_3-instances.txt": tableNames,
        "nvidia-smi-table_1xL4_drv550.txt": tableNames,
        "nvidia-smi-table_1xT4_drv515_gpu-operator.txt": tableNames,
        "nvidia-smi-table_2xH100-NVL_drv550.txt": tableNames,
        "nvidia-smi-table_4xA100-SXM4-80GB_drv555.txt": tableNames,
        "nvidia-smi-table_8xH100-80GB-HBM3_drv565.txt": tableNames,
        "nvidia-smi-table_8xRTX4090_drv550.txt": tableNames,
        "nvidia-smi-table_8xV100-SXM2-32GB_old-format-truncated-names.txt": tableNames,
        // The character majors of the driver: the agent looks for /dev/nvidiactl instead.
        "proc-devices_nvidia-majors.txt": { _ in [] },
        "proc-driver-nvidia-gpus-information_A10G.txt": { [NvidiaProcInformation.device($0.text, index: 0)?.model ?? "unreadable"] },
        "proc-driver-nvidia-gpus-information_H100.txt": { [NvidiaProcInformation.device($0.text, index: 0)?.model ?? "unreadable"] },
        "rocm-smi-a_4xMI300X.txt": { fields($0, "Card series", separator: ":") },
        "rocm-smi-concise_4xMI300X.txt": { capture in
            capture.text.split(separator: "\n").filter { $0.contains("AMD Instinct") }.map { GPUModelName.canonical(String($0)) }
        },
        "rocm-smi-json_2xMI100_rocm602.json": { AMDSMIOutput.devices(rocmSMI: $0.text)?.map(\.model) ?? ["unreadable"] },
        "rocminfo-excerpt_MI250X-MI250_agent.txt": { fields($0, "Marketing Name", separator: ":") },
    ]

    static let models: [String: [String]] = [
        "amd-smi-static-json_MI300X_rocm6-flat_vs_rocm7-wrapped.txt": ["MI300X", "MI300X", "MI300X"],
        "coreweave-node-labels_H100_issue6701.txt": ["H100"],
        "gfd-node-labels_4xL40_issue4404.txt": [],
        "nvidia-smi-csv-noheader_H100-NVL_pci-device-id.txt": ["H100"],
        "nvidia-smi-csv_1xA10G_memory.txt": ["A10G"],
        "nvidia-smi-csv_1xGTX1660SUPER_mig-NA.txt": ["GTX1660-SUPER"],
        "nvidia-smi-csv_4xA10G_and_L.txt": Array(repeating: "A10G", count: 4),
        "nvidia-smi-csv_heterogeneous_A5000+RTX4500Ada.txt": ["A5000", "RTX4500-Ada"],
        "nvidia-smi-q_8xH100-80GB-HBM3_drv565.txt": Array(repeating: "H100", count: 8),
        "nvidia-smi-qx_a100-sxm4-40gb-mig.xml": ["A100"],
        "nvidia-smi-qx_a100-sxm4-v12.xml": ["A100-80GB"],
        "nvidia-smi-qx_a10g.xml": ["A10G"],
        "nvidia-smi-qx_tesla-t4.xml": ["T4"],
        "nvidia-smi-table_1xH100-NVL_MIG-enabled_3-instances.txt": ["H100"],
        "nvidia-smi-table_1xL4_drv550.txt": ["L4"],
        "nvidia-smi-table_1xT4_drv515_gpu-operator.txt": ["T4"],
        "nvidia-smi-table_2xH100-NVL_drv550.txt": ["H100", "H100"],
        "nvidia-smi-table_4xA100-SXM4-80GB_drv555.txt": Array(repeating: "A100-80GB", count: 4),
        "nvidia-smi-table_8xH100-80GB-HBM3_drv565.txt": Array(repeating: "H100", count: 8),
        "nvidia-smi-table_8xRTX4090_drv550.txt": Array(repeating: "RTX4090", count: 8),
        // Why the table is never read: the cut name loses the 32 GB, a V100-32GB reads as V100.
        "nvidia-smi-table_8xV100-SXM2-32GB_old-format-truncated-names.txt": Array(repeating: "V100", count: 8),
        "proc-devices_nvidia-majors.txt": [],
        "proc-driver-nvidia-gpus-information_A10G.txt": ["A10G"],
        "proc-driver-nvidia-gpus-information_H100.txt": ["H100"],
        "rocm-smi-a_4xMI300X.txt": Array(repeating: "MI300X", count: 4),
        "rocm-smi-concise_4xMI300X.txt": Array(repeating: "MI300X", count: 4),
        "rocm-smi-json_2xMI100_rocm602.json": Array(repeating: "MI100", count: 4),
        "rocminfo-excerpt_MI250X-MI250_agent.txt": ["MI250X"],
    ]

    @Test(.enabled(if: capturesAreHereOrRequired, "no ../shared/fixtures/gpu beside this clone (CI requires it)"))
    func everyCaptureReadsAsItsGPUs() throws {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: Self.directory)) ?? []
        #expect(!files.isEmpty, "the GPU captures are missing: \(Self.directory)")
        for file in files.sorted() {
            guard let read = Self.expected[file], let models = Self.models[file] else {
                Issue.record("a capture with no expected reading: \(file)")
                continue
            }
            #expect(read(try Capture(file, in: Self.directory)) == models, "\(file)")
        }
    }

    // The names the other forms print in full, each read as SkyPilot names it.

    static func tableNames(_ capture: Capture) -> [String] {
        capture.text.split(separator: "\n").compactMap { line -> String? in
            let cells = line.trimmingCharacters(in: .whitespaces).split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
            guard cells.count >= 3, let first = cells.first, let space = first.firstIndex(of: " "),
                Int(first[..<space]) != nil, first.hasSuffix(" On") || first.hasSuffix(" Off")
            else { return nil }
            let name = first[space...].trimmingCharacters(in: .whitespaces).split(separator: " ").dropLast().joined(separator: " ")
            return GPUModelName.canonical(name)
        }
    }

    static func fields(_ capture: Capture, _ key: String, separator: Character) -> [String] {
        capture.text.split(separator: "\n").compactMap { line in
            guard let range = line.range(of: key) else { return nil }
            let rest = line[range.upperBound...].drop { $0 == separator || $0 == " " || $0 == "\t" }
            return GPUModelName.canonical(rest.trimmingCharacters(in: .whitespaces))
        }
    }

    static func elements(_ capture: Capture, _ tag: String) -> [String] {
        capture.text.components(separatedBy: "<\(tag)>").dropFirst().compactMap { piece in
            piece.components(separatedBy: "</\(tag)>").first.map(GPUModelName.canonical)
        }
    }

    static func labels(_ capture: Capture, _ key: String) -> [String] {
        capture.text.split(separator: "\n").compactMap { line in
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            guard trimmed.hasPrefix(key + "=") else { return nil }
            return GPUModelName.canonical(String(trimmed.dropFirst(key.count + 1)))
        }
    }
}
