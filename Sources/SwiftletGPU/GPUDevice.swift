/// The GPU makers the agent knows.
public enum GPUVendor: String, Hashable, Sendable {
    case nvidia
    case amd
}

/// One GPU a node can hand to jobs: a whole card, or one MIG instance of a card in MIG mode.
public struct GPUDevice: Hashable, Sendable {
    public var vendor: GPUVendor
    /// The driver's index (`nvidia-smi`'s, or `rocm-smi`'s card number); for a MIG instance its
    /// card's.
    public var index: Int
    /// `GPU-…` (NVIDIA, AMD when known) or `MIG-…`; what jobs and containers are given.
    public var uuid: String
    /// The name the driver reports (`NVIDIA A100-SXM4-80GB`; a MIG instance's profile after it).
    public var name: String
    /// SkyPilot's name for the model (`A100-80GB`), see ``GPUModelName``.
    public var model: String
    /// Device memory in MiB, from the driver's own figure; nil where it gave none.
    public var memoryMiB: Int?
    /// The PCI address (`00000000:3F:00.0`), for render nodes and device files.
    public var busID: String?
    /// The device file's minor number (`/dev/nvidiaN`), where known.
    public var minor: Int?
    /// For a MIG instance: its profile (`3g.40gb`).
    public var migProfile: String?

    public init(
        vendor: GPUVendor,
        index: Int,
        uuid: String,
        name: String,
        model: String? = nil,
        memoryMiB: Int? = nil,
        busID: String? = nil,
        minor: Int? = nil,
        migProfile: String? = nil
    ) {
        self.vendor = vendor
        self.index = index
        self.uuid = uuid
        self.name = name
        self.model = model ?? GPUModelName.canonical(name)
        self.memoryMiB = memoryMiB
        self.busID = busID
        self.minor = minor
        self.migProfile = migProfile
    }

    /// Memory in whole GiB, rounded to the nearest (`81559` MiB is 80 GiB).
    public var memoryGiB: Int? { memoryMiB.map { ($0 + 512) / 1024 } }
}
