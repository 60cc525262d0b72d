import Foundation
import Yams

/// The `resources:` section: plain fields, accelerator choices, `any_of` and `ordered`.
extension TaskLoader {
    /// Resource fields of SkyPilot 0.14's schema.
    static let resourceFields: Set<String> = [
        "cloud", "region", "zone", "infra", "accelerators", "gpus", "instance_type", "cpus", "memory",
        "accelerator_args", "use_spot", "job_recovery", "disk_size", "disk_tier", "network_tier", "ports",
        "labels", "image_id", "any_of", "ordered", "autostop", "priority", "volumes",
        "_docker_login_config", "_is_image_managed", "_requires_fuse", "_cluster_config_overrides",
    ]

    /// Resource fields Swiftlet acts on; the others are accepted and reported as ignored.
    /// `image_id` is acted on when it names a container image (`docker:IMAGE`); a cloud's
    /// machine image, or one per region, is reported as ignored.
    static let resourceFieldsActedOn: Set<String> = [
        "accelerators", "gpus", "infra", "instance_type", "ports", "cpus", "memory", "any_of", "ordered", "image_id",
    ]

    func resourceChoices(_ node: Node, ignored: inout [String]) throws -> [TaskSpec.Resources] {
        if node.null != nil { return [TaskSpec.Resources()] }
        guard node.mapping != nil else { throw error(at: node, "resources must be a mapping") }
        var base = TaskSpec.Resources()
        var acceleratorChoices: [[String: Double]] = []
        var alternatives: [Node] = []
        for (keyNode, value) in node.mapping! {
            guard let key = keyNode.string else { throw error(at: keyNode, "resources: keys must be strings") }
            if !Self.resourceFieldsActedOn.contains(key), Self.resourceFields.contains(key) { ignored.append("resources.\(key)") }
            if key == "image_id", !(Self.singleImage(value) ?? "").hasPrefix("docker:") { ignored.append("resources.image_id") }
            switch key {
            case "any_of", "ordered":
                guard let items = value.sequence else { throw error(at: value, "resources.\(key) must be a list") }
                alternatives += items
            default:
                try apply(key, value, keyNode: keyNode, to: &base, accelerators: &acceleratorChoices)
            }
        }
        var bases: [(TaskSpec.Resources, [[String: Double]])] = [(base, acceleratorChoices)]
        if !alternatives.isEmpty {
            bases = try alternatives.map { item in
                guard let mapping = item.mapping else { throw error(at: item, "each any_of/ordered entry must be a mapping") }
                var merged = base
                var choices = acceleratorChoices
                let index = alternatives.firstIndex { $0 == item } ?? 0
                for (keyNode, value) in mapping {
                    guard let key = keyNode.string else { throw error(at: keyNode, "resources: keys must be strings") }
                    // SkyPilot's schema: only image_id and ports may be null in an entry (null then
                    // clears the base's value).
                    if value.null != nil, key != "image_id", key != "ports" {
                        let list = node.mapping?.first { $0.value.sequence?.contains(item) == true }?.key.string ?? "any_of"
                        throw error(
                            at: value,
                            "Invalid resources YAML: None is not valid under any of the given schemas. Check problematic field(s): $.\(list)[\(index)].\(key)"
                        )
                    }
                    var local: [[String: Double]] = []
                    try apply(key, value, keyNode: keyNode, to: &merged, accelerators: &local)
                    if key == "accelerators" || key == "gpus" { choices = local }
                }
                return (merged, choices)
            }
        }
        // On Kubernetes an image is always a container image (SkyPilot adds the docker: prefix).
        bases = bases.map { resources, choices in
            var resources = resources
            if let image = resources.imageID, !image.hasPrefix("docker:"),
                let infra = resources.infra, infra == "k8s" || infra.hasPrefix("k8s/") || infra.hasPrefix("kubernetes")
            {
                resources.imageID = "docker:" + image
            }
            return (resources, choices)
        }
        return bases.flatMap { resources, choices -> [TaskSpec.Resources] in
            guard !choices.isEmpty else {
                var resources = resources
                if let type = resources.instanceType, let gpus = InstanceTypeCatalog.accelerators[type] { resources.accelerators = gpus }
                return [resources]
            }
            return choices.map { accelerators in
                var candidate = resources
                candidate.accelerators = accelerators
                return candidate
            }
        }
    }

    private func apply(
        _ key: String,
        _ value: Node,
        keyNode: Node,
        to resources: inout TaskSpec.Resources,
        accelerators: inout [[String: Double]]
    ) throws {
        guard Self.resourceFields.contains(key) else {
            throw error(
                at: keyNode,
                "unknown resources field '\(key)'" + suggestion(for: key, among: Self.resourceFields.union(["job_recovery"]))
            )
        }
        switch key {
        case "accelerators", "gpus": accelerators = try acceleratorChoices(value)
        case "image_id":
            if value.null != nil {
                resources.imageID = nil
                resources.imageIDsByRegion = [:]
            } else if let text = value.string {
                resources.imageID = text
            } else if value.mapping != nil {
                for (region, image) in try pairs(value, field: "image_id") { resources.imageIDsByRegion[region] = image.string ?? "" }
                // One region's image is the image wherever the task runs (no region is picked here).
                resources.imageID = Self.singleImage(value)
            }
        case "infra": resources.infra = value.string
        case "instance_type": resources.instanceType = value.string
        case "ports": resources.ports = try ports(value)
        case "cpus": resources.cpus = try quantity(value, field: "cpus", read: ResourceQuantity.cpus)
        case "memory": resources.memory = try quantity(value, field: "memory", read: ResourceQuantity.memory)
        case "use_spot":
            guard value.null != nil || value.bool != nil else { throw error(at: value, "use_spot must be true or false") }
            resources.useSpot = value.bool ?? false
        default: break
        }
    }

    /// `image_id`'s one image: the text, or a mapping's only region's image.
    static func singleImage(_ node: Node) -> String? {
        if let text = node.string { return text }
        guard let mapping = node.mapping, mapping.count == 1 else { return nil }
        return mapping.first?.value.string
    }

    /// A `cpus` or `memory` amount, checked and normalised as SkyPilot does; nil when null.
    private func quantity(
        _ node: Node,
        field: String,
        read: (String) throws(ResourceQuantity.Invalid) -> ResourceQuantity
    ) throws -> String? {
        guard let text = try scalarString(node, field: "resources.\(field)", python: false) else { return nil }
        do {
            return try read(text).text
        } catch {
            throw self.error(at: node, error.message)
        }
    }

    /// `A100:8`, `{A100: 8}`, `{A100:1: null, T4:1: null}` (a set), or a list: each choice a map.
    private func acceleratorChoices(_ node: Node) throws -> [[String: Double]] {
        if node.null != nil { return [] }
        if let text = node.string { return [try accelerator(text, at: node)] }
        if let items = node.sequence {
            return try items.map { item in
                guard let text = item.string else { throw error(at: item, "accelerators: each choice must be NAME or NAME:COUNT") }
                return try accelerator(text, at: item)
            }
        }
        guard let mapping = node.mapping else { throw error(at: node, "accelerators must be NAME:COUNT, a mapping or a list") }
        return try mapping.map { key, value in
            guard let name = key.string else { throw error(at: key, "accelerators: names must be strings") }
            if value.null != nil { return try accelerator(name, at: key) }
            guard let count = value.float ?? value.int.map(Double.init) else {
                throw error(at: value, "accelerators: the count of \(name) must be a number")
            }
            return [name: count]
        }
    }

    private func accelerator(_ text: String, at node: Node) throws -> [String: Double] {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count <= 2, !parts[0].isEmpty else {
            throw error(at: node, "accelerators: '\(text)' must look like NAME or NAME:COUNT")
        }
        guard parts.count == 2 else { return [String(parts[0]): 1] }
        guard let count = Double(parts[1]), count > 0 else {
            throw error(at: node, "accelerators: the count in '\(text)' must be a positive number")
        }
        return [String(parts[0]): count]
    }

    /// `8080`, `"8080"`, `"10000-10010"`, or a list of those; normalized as SkyPilot does, to
    /// sorted ranges of consecutive ports (`[8080, 8081]` -> `["8080-8081"]`).
    private func ports(_ node: Node) throws -> [String] {
        if node.null != nil { return [] }
        var ports = Set<Int>()
        for item in node.sequence ?? [node] {
            guard case .scalar(let scalar) = item, item.null == nil else {
                throw error(at: item, "ports: each port must be a number or a range")
            }
            let bounds = scalar.string.split(separator: "-", maxSplits: 1).map { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard let low = bounds.first ?? nil, let high = bounds.last ?? nil, (1...65535).contains(low), (low...65535).contains(high)
            else {
                throw error(at: item, "ports: '\(scalar.string)' is not a port (1-65535) or a range LOW-HIGH")
            }
            ports.formUnion(low...high)
        }
        var ranges: [String] = []
        var sorted = ports.sorted()[...]
        while let start = sorted.first {
            var end = start
            sorted = sorted.dropFirst()
            while sorted.first == end + 1 {
                end += 1
                sorted = sorted.dropFirst()
            }
            ranges.append(start == end ? String(start) : "\(start)-\(end)")
        }
        return ranges
    }
}
