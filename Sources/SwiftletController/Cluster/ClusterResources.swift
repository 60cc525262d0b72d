import SwiftletProtocol

/// A cluster's nodes as SkyPilot's `status` shows an SSH or Kubernetes cluster's: `2x (cpus=2,
/// mem=23.4, A10G:4)`, from its head node (a cluster's nodes are taken alike).
enum ClusterResources {
    static func text(of head: NodeState, nodes: Int) -> String {
        var parts = ["cpus=\(TaskFit.amount(Double(head.milliCPUs) / 1000))"]
        if let memory = head.memoryMiB { parts.append("mem=\(TaskFit.amount(Double(memory) / 1024))") }
        var models: [(String, Int)] = []
        for gpu in head.gpuList {
            if let index = models.firstIndex(where: { $0.0 == gpu.model }) { models[index].1 += 1 } else { models.append((gpu.model, 1)) }
        }
        parts += models.map { "\($0.0):\($0.1)" }
        return "\(nodes)x (\(parts.joined(separator: ", ")))"
    }
}
