/// A SkyPilot task, as Swiftlet acts on it.
public struct TaskSpec: Sendable, Equatable {
    public var name: String?
    public var workdir: String?
    /// `workdir` given as a git repository (`url`, and a `ref`: branch, tag or commit).
    public var gitWorkdir: GitWorkdir?
    public var numNodes: Int = 1
    /// Task env vars in file order, after `--env` overrides; every value is set.
    public var envs: [EnvVar] = []
    /// Secret values: passed to the task like envs, never printed or stored.
    public var secrets: [EnvVar] = []
    public var fileMounts: [String: String] = [:]
    /// Targets of `file_mounts` given as storage mappings (`name:`, `source:`, `store:`), which
    /// SkyPilot keeps apart from the others; Swiftlet does not build buckets, and says so.
    public var storageMounts: [String] = []
    public var setup: String?
    public var run: String?
    /// The candidate resource sets (one, or one per `any_of`/`ordered`/accelerator choice).
    public var resourceChoices: [Resources] = [Resources()]
    /// The first candidate: what Swiftlet acts on.
    public var resources: Resources {
        get { resourceChoices.first ?? Resources() }
        set { resourceChoices = [newValue] }
    }
    /// Valid SkyPilot fields that Swiftlet accepts but does not act on.
    public var ignoredFields: [String] = []

    public init() {}

    public struct GitWorkdir: Sendable, Equatable {
        public var url: String
        public var ref: String?

        public init(url: String, ref: String?) {
            self.url = url
            self.ref = ref
        }
    }

    public struct EnvVar: Sendable, Equatable {
        public var key: String
        public var value: String

        public init(key: String, value: String) {
            self.key = key
            self.value = value
        }
    }

    public struct Resources: Sendable, Equatable {
        /// Accelerator name to count per node, e.g. `["H100": 8]`.
        public var accelerators: [String: Double] = [:]
        public var imageID: String?
        /// Per-region images (`image_id` given as a mapping), region to image.
        public var imageIDsByRegion: [String: String] = [:]
        public var infra: String?
        public var instanceType: String?
        public var ports: [String] = []
        public var cpus: String?
        public var memory: String?
        public var useSpot = false

        public init() {}

        /// GPUs per node, as `SKYPILOT_NUM_GPUS_PER_NODE` reports it.
        public var gpusPerNode: Int {
            Int((accelerators.values.max() ?? 0).rounded(.up))
        }
    }
}
