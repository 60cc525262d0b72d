/// What a job asks of a node's GPUs: how many, of which models (any one of them will do, as
/// SkyPilot reads `accelerators: {A100: 8, H100: 8}`), as SkyPilot names them.
public struct GPURequest: Hashable, Sendable {
    /// SkyPilot names; empty for any model.
    public var models: [String]
    /// GPUs per node; below 1 a share of one GPU (`A100:0.5`).
    public var count: Double

    public init(models: [String], count: Double) {
        self.models = models
        self.count = count
    }

    /// Whole GPUs it needs (a share needs one).
    public var wholeGPUs: Int { Int(count.rounded(.up)) }

    /// Thousandths of each GPU it takes: 1000, or its share (`0.5` is 500).
    public var milliShare: Int { count < 1 ? max(1, Int((count * 1000).rounded())) : 1000 }

    /// Whether `device` is of a model it accepts. A device of unknown model (a count the operator
    /// configured) is accepted for any.
    public func accepts(_ device: GPUDevice) -> Bool {
        models.isEmpty || device.model.isEmpty || models.contains { GPUModelName.matches(requested: $0, model: device.model) }
    }

    /// Why a node with `devices` can never run it; nil when it can.
    public func unmet(by devices: [GPUDevice]) -> String? {
        guard count > 0 else { return nil }
        let wanted = (models.isEmpty ? "GPU" : models.joined(separator: " or ")) + ":" + Self.format(count)
        guard !devices.isEmpty else { return "the job needs \(wanted); this node has no GPUs" }
        guard devices.filter(accepts).count >= wholeGPUs else {
            return "the job needs \(wanted); this node has \(GPUInventory(source: .none, vendor: nil, devices: devices).summary)"
        }
        return nil
    }

    static func format(_ count: Double) -> String {
        count == count.rounded() ? String(Int(count)) : String(count)
    }
}
