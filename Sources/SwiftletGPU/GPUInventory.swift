/// The GPUs a node's agent may hand out, and where it learnt of them.
public struct GPUInventory: Hashable, Sendable {
    /// How the GPUs were found, for `swiftlet-agent gpus` and for tests.
    public enum Source: String, Hashable, Sendable {
        case nvidiaSMI = "nvidia-smi"
        case nvidiaProc = "/proc/driver/nvidia"
        case amdSMI = "amd-smi"
        case rocmSMI = "rocm-smi"
        /// `SWIFTLET_NODE_GPUS`: a count the operator gave, models unknown.
        case configured = "SWIFTLET_NODE_GPUS"
        case none
    }

    public var source: Source
    public var vendor: GPUVendor?
    /// What jobs are given: whole cards, or a card's MIG instances when it is in MIG mode.
    public var devices: [GPUDevice]
    public var driverVersion: String?
    /// Cards in MIG mode (by index).
    public var migCards: [Int]
    /// What the node's scheduler granted this agent (`CUDA_VISIBLE_DEVICES` in a pod or a Slurm
    /// step), as given; nil when nothing limits it.
    public var grantedBy: String?

    public init(
        source: Source,
        vendor: GPUVendor?,
        devices: [GPUDevice],
        driverVersion: String? = nil,
        migCards: [Int] = [],
        grantedBy: String? = nil
    ) {
        self.source = source
        self.vendor = vendor
        self.devices = devices
        self.driverVersion = driverVersion
        self.migCards = migCards
        self.grantedBy = grantedBy
    }

    public static let empty = GPUInventory(source: .none, vendor: nil, devices: [])

    /// `count` GPUs of unknown model (`SWIFTLET_NODE_GPUS`): handed out by index.
    public static func configured(count: Int) -> GPUInventory {
        GPUInventory(
            source: .configured,
            vendor: .nvidia,
            devices: (0..<count).map { GPUDevice(vendor: .nvidia, index: $0, uuid: "", name: "", model: "") }
        )
    }

    /// The NVIDIA cards of `--query-gpu` CSV, with each card in MIG mode replaced by its
    /// instances from `nvidia-smi -L`.
    public static func nvidia(cards: [NvidiaSMIOutput.Card], instances: [NvidiaSMIOutput.MIGInstance]) -> GPUInventory {
        var devices: [GPUDevice] = []
        var migCards: [Int] = []
        for card in cards {
            let own = instances.filter { $0.cardIndex == card.device.index }
            guard card.migEnabled, !own.isEmpty else {
                devices.append(card.device)
                continue
            }
            migCards.append(card.device.index)
            for instance in own {
                var device = card.device
                device.uuid = instance.uuid
                device.migProfile = instance.profile
                device.memoryMiB = Self.profileMemoryMiB(instance.profile)
                devices.append(device)
            }
        }
        return GPUInventory(
            source: .nvidiaSMI,
            vendor: devices.isEmpty ? nil : .nvidia,
            devices: devices,
            driverVersion: cards.first?.driverVersion,
            migCards: migCards
        )
    }

    /// `3g.40gb` holds 40 GiB.
    static func profileMemoryMiB(_ profile: String) -> Int? {
        guard let dot = profile.firstIndex(of: "."), profile.lowercased().hasSuffix("gb") else { return nil }
        return Int(profile[profile.index(after: dot)...].dropLast(2)).map { $0 * 1024 }
    }

    /// Only the GPUs a scheduler granted: `CUDA_VISIBLE_DEVICES` or `NVIDIA_VISIBLE_DEVICES`
    /// (AMD: `ROCR_VISIBLE_DEVICES`, `HIP_VISIBLE_DEVICES`) as the agent found them in its
    /// environment. Each entry names a GPU by UUID or by index; `all` limits nothing; `none`,
    /// `void` and an empty list leave none.
    public func granted(by environment: [String: String]) -> GPUInventory {
        let names =
            vendor == .amd
            ? ["ROCR_VISIBLE_DEVICES", "HIP_VISIBLE_DEVICES"] : ["CUDA_VISIBLE_DEVICES", "NVIDIA_VISIBLE_DEVICES"]
        guard source != .configured, let name = names.first(where: { environment[$0] != nil }), let value = environment[name] else {
            return self
        }
        if value == "all" { return self }
        let entries = Set(value.split(separator: ",").map { String($0.drop { $0 == " " }) })
        var limited = self
        limited.devices = devices.filter { entries.contains($0.uuid) || (entries.contains(String($0.index)) && $0.migProfile == nil) }
        limited.grantedBy = "\(name)=\(value)"
        return limited
    }

    /// `H100:8`, `A5000:1,RTX4500-Ada:1`: the models and how many of each, in the devices' order.
    public var summary: String {
        var counts: [(String, Int)] = []
        for device in devices {
            let model = device.model.isEmpty ? "GPU" : device.model
            if let at = counts.firstIndex(where: { $0.0 == model }) { counts[at].1 += 1 } else { counts.append((model, 1)) }
        }
        return counts.map { "\($0.0):\($0.1)" }.joined(separator: ",")
    }
}
