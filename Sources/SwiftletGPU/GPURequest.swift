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

    /// Whether a node with `devices` could ever run it.
    func fits(_ devices: [GPUDevice]) -> Bool {
        count <= 0 || devices.filter(accepts).count >= wholeGPUs
    }

    /// Why a node with `devices` can never run it; nil when it can.
    public func unmet(by devices: [GPUDevice]) -> String? {
        if case .failure(let unmet) = Self.pick([self], on: devices) { return unmet.description }
        return nil
    }

    static func format(_ count: Double) -> String {
        count == count.rounded() ? String(Int(count)) : String(count)
    }
}

extension GPURequest {
    /// The choices as a job ticket carries them: `H100:8,A100-80GB:8` (a share as `A100:0.5`).
    public static func text(_ choices: [GPURequest]) -> String {
        choices.flatMap { choice in choice.models.map { "\($0):\(format(choice.count))" } }.joined(separator: ",")
    }

    /// Reads ``text(_:)``; a name without a count (tickets from before counts were carried)
    /// takes `count`.
    public static func choices(_ text: String, count: Double) -> [GPURequest] {
        text.split(separator: ",").map { entry in
            let parts = entry.split(separator: ":", maxSplits: 1)
            let given = parts.count == 2 ? Double(parts[1]).flatMap { $0 > 0 ? $0 : nil } : nil
            return GPURequest(models: [String(parts.first ?? "")], count: given ?? count)
        }
    }

    /// The first of `choices` a `place` (a node, a container's host) with `devices` can ever
    /// run, else why none can.
    public static func pick(_ choices: [GPURequest], on devices: [GPUDevice], place: String = "node") -> Result<GPURequest, Unmet> {
        if let fitting = choices.first(where: { $0.fits(devices) }) { return .success(fitting) }
        let wanted = choices.map { ($0.models.isEmpty ? "GPU" : $0.models.joined(separator: " or ")) + ":" + format($0.count) }
        let has = devices.isEmpty ? "no GPUs" : GPUInventory(source: .none, vendor: nil, devices: devices).summary
        return .failure(Unmet(description: "the job needs \(wanted.joined(separator: " or ")); this \(place) has \(has)"))
    }

    /// Why a node can never run a job's GPU request.
    public struct Unmet: Error, Hashable, Sendable, CustomStringConvertible {
        public var description: String
    }
}

extension GPURequest {
    /// The devices a container asking for `choices` gets on a host with `devices`, of which
    /// `taken` (by UUID) belong to other containers: the first choice that fits what is left, its
    /// count of accepted GPUs in the host's order (a share takes one whole GPU: the container
    /// holds it).
    public static func devices(for choices: [GPURequest], on devices: [GPUDevice], taken: Set<String>) -> Result<[GPUDevice], Unmet> {
        let free = devices.filter { !taken.contains($0.uuid) }
        switch pick(choices, on: free, place: "host") {
        case .success(let choice):
            return .success(Array(free.filter(choice.accepts).prefix(choice.wholeGPUs)))
        case .failure(let unmet):
            let held = devices.count - free.count
            return .failure(held == 0 ? unmet : Unmet(description: unmet.description + " free (\(held) held by other containers)"))
        }
    }
}
