/// The GPUs of well-known accelerator instance types, for tasks that name an `instance_type`
/// instead of `accelerators` (an excerpt of SkyPilot's catalogs; other types stay unknown).
enum InstanceTypeCatalog {
    static let accelerators: [String: [String: Double]] = {
        var table: [String: [String: Double]] = [
            "a3-highgpu-8g": ["H100": 8],
            "a3-megagpu-8g": ["H100-MEGA": 8],
            "a3-ultragpu-8g": ["H200": 8],
            "p4d.24xlarge": ["A100": 8],
            "p4de.24xlarge": ["A100-80GB": 8],
            "p5.48xlarge": ["H100": 8],
            "p5e.48xlarge": ["H200": 8],
        ]
        for count in [1, 2, 4, 8] {
            table["a2-highgpu-\(count)g"] = ["A100": Double(count)]
            table["a2-ultragpu-\(count)g"] = ["A100-80GB": Double(count)]
        }
        for (type, count) in [
            ("g2-standard-4", 1), ("g2-standard-8", 1), ("g2-standard-12", 1), ("g2-standard-16", 1),
            ("g2-standard-24", 2), ("g2-standard-32", 1), ("g2-standard-48", 4), ("g2-standard-96", 8),
        ] {
            table[type] = ["L4": Double(count)]
        }
        return table
    }()
}
