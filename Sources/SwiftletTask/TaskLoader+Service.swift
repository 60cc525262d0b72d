import Yams

/// The `service:` section, which Swiftlet does not serve but reads by SkyPilot 0.14's rules
/// (its schema and `SkyServiceSpec`'s checks), so a task that SkyPilot refuses is refused here
/// too, with SkyPilot's words.
extension TaskLoader {
    static let serviceFields: Set<String> = [
        "readiness_probe", "load_balancer", "pool", "replica_policy", "ports", "replicas", "workers", "load_balancing_policy", "tls",
    ]
    static let replicaPolicyFields: Set<String> = [
        "min_replicas", "max_replicas", "num_overprovision", "target_qps_per_replica", "dynamic_ondemand_fallback",
        "base_ondemand_fallback_replicas", "spot_placer", "upscale_delay_seconds", "downscale_delay_seconds",
    ]

    func checkService(_ node: Node) throws {
        let fields = try serviceFields(of: node, named: "the service", allowed: Self.serviceFields)
        if let probe = fields["readiness_probe"] {
            let path = probe.string ?? probe.mapping?["path"]?.string
            if let path, !path.hasPrefix("/") {
                throw error(at: probe, "readiness_path must start with a slash (/). Got: \(path)")
            }
        }
        guard let policy = fields["replica_policy"] else { return }
        let values = try serviceFields(of: policy, named: "replica_policy", allowed: Self.replicaPolicyFields)
        func count(_ key: String) throws -> Int? {
            guard let value = values[key] else { return nil }
            guard let number = value.int, number >= 0 else {
                throw error(at: value, "Invalid service YAML: replica_policy.\(key) must be an integer of at least 0")
            }
            return number
        }
        guard let minimum = try count("min_replicas") else {
            throw error(at: policy, "Invalid service YAML: 'min_replicas' is a required property")
        }
        let maximum = try count("max_replicas")
        _ = try count("num_overprovision")
        if let maximum, maximum < minimum {
            throw error(
                at: policy,
                "max_replicas must be greater than or equal to min_replicas. Found: min_replicas=\(minimum), max_replicas=\(maximum)"
            )
        }
        let autoscales = values["target_qps_per_replica"].map { $0.null == nil } ?? false
        if autoscales, maximum == nil {
            throw error(at: policy, "max_replicas must be set where target_qps_per_replica is set.")
        }
        if !autoscales, fields["pool"] == nil, let maximum, maximum != minimum {
            throw error(
                at: policy,
                "Detected different min_replicas and max_replicas while target_qps_per_replica is not set. "
                    + "To enable autoscaling, please set target_qps_per_replica."
            )
        }
    }

    /// A service mapping's fields by name; one SkyPilot's schema does not have is refused, in
    /// its words.
    private func serviceFields(of node: Node, named name: String, allowed: Set<String>) throws -> [String: Node] {
        guard let mapping = node.mapping else { throw error(at: node, "Invalid service YAML: \(name) must be a mapping") }
        var fields: [String: Node] = [:]
        for (keyNode, value) in mapping {
            guard let key = keyNode.string, allowed.contains(key) else {
                throw error(at: keyNode, "Invalid service YAML: Found unsupported field '\(keyNode.string ?? "")'.")
            }
            fields[key] = value
        }
        return fields
    }
}
