/// The inventory as `swiftlet-agent gpus` prints it: a table for people, JSON for programs.
extension GPUInventory {
    /// One line of what was found, then one line per GPU.
    public var table: String {
        var header = source == .none ? "no GPUs found" : "\(devices.count) GPU\(devices.count == 1 ? "" : "s") from \(source.rawValue)"
        if let driverVersion { header += ", driver \(driverVersion)" }
        if let grantedBy { header += ", limited by \(grantedBy)" }
        var lines = [header]
        for device in devices {
            let memory = device.memoryMiB.map { "\($0) MiB" } ?? "-"
            let model = device.model.isEmpty ? "-" : device.model
            let name = device.name + (device.migProfile.map { " MIG \($0)" } ?? "")
            lines.append("\(device.index)\t\(device.uuid.isEmpty ? "-" : device.uuid)\t\(model)\t\(memory)\t\(name)")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The inventory as one JSON object.
    public var json: String {
        func string(_ value: String?) -> String { value.map(Self.quoted) ?? "null" }
        let gpus = devices.map { device in
            "{\"index\": \(device.index), \"uuid\": \(string(device.uuid)), \"name\": \(string(device.name)), "
                + "\"model\": \(string(device.model)), \"memory_mib\": \(device.memoryMiB.map(String.init) ?? "null"), "
                + "\"bus_id\": \(string(device.busID)), \"mig_profile\": \(string(device.migProfile))}"
        }
        return "{\"source\": \(string(source.rawValue)), \"vendor\": \(string(vendor?.rawValue)), "
            + "\"driver_version\": \(string(driverVersion)), \"granted_by\": \(string(grantedBy)), "
            + "\"summary\": \(string(summary)), \"gpus\": [\(gpus.joined(separator: ", "))]}\n"
    }

    static func quoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}
