/// What `nvidia-smi` prints, read into GPUs. Only its machine-readable forms: the CSV of
/// `--query-gpu` and the list of `-L`. Its table is never read (drivers before R520 cut the
/// names there: `Tesla V100-SXM2...`).
public enum NvidiaSMIOutput {
    /// The fields the agent asks for, in this order:
    /// `nvidia-smi --query-gpu=index,uuid,name,memory.total,pci.bus_id,driver_version,mig.mode.current --format=csv,noheader,nounits`.
    public static let queryFields = ["index", "uuid", "name", "memory.total", "pci.bus_id", "driver_version", "mig.mode.current"]

    /// One card as the CSV describes it.
    public struct Card: Hashable, Sendable {
        public var device: GPUDevice
        public var driverVersion: String?
        /// `mig.mode.current` is `Enabled`.
        public var migEnabled: Bool
    }

    /// The cards in `--query-gpu` CSV output: with or without the header row (without it, the
    /// columns are `columns`), with or without units (`23028 MiB`); `[N/A]` reads as absent.
    public static func cards(csv text: String, columns given: [String] = queryFields) -> [Card] {
        var lines = text.split(whereSeparator: \.isNewline).map { String($0) }.filter { !$0.allSatisfy(\.isWhitespace) }
        guard let first = lines.first else { return [] }
        var columns = given
        if first.lowercased().contains("name") && !first.contains("GPU-") {
            columns = fields(first).map { header in
                String(header.split(separator: " ").first ?? Substring(header)).lowercased()
            }
            lines.removeFirst()
        }
        return lines.enumerated().compactMap { row, line in
            var values: [String: String] = [:]
            for (column, value) in zip(columns, fields(line)) where !isAbsent(value) {
                values[column] = value
            }
            guard let name = values["name"] else { return nil }
            let index = values["index"].flatMap { Int($0) } ?? row
            let device = GPUDevice(
                vendor: .nvidia,
                index: index,
                uuid: values["uuid"] ?? "",
                name: name,
                memoryMiB: values["memory.total"].flatMap(mebibytes),
                busID: values["pci.bus_id"]
            )
            return Card(device: device, driverVersion: values["driver_version"], migEnabled: values["mig.mode.current"] == "Enabled")
        }
    }

    /// A MIG instance as `nvidia-smi -L` lists it under its card.
    public struct MIGInstance: Hashable, Sendable {
        public var cardIndex: Int
        public var profile: String
        public var uuid: String
    }

    /// The MIG instances in `nvidia-smi -L` output:
    /// ```
    /// GPU 0: NVIDIA A100-SXM4-40GB (UUID: GPU-5d5ba0d6-…)
    ///   MIG 3g.20gb     Device  0: (UUID: MIG-1f7c…)
    /// ```
    public static func migInstances(list text: String) -> [MIGInstance] {
        var card: Int?
        var instances: [MIGInstance] = []
        for line in text.split(whereSeparator: \.isNewline) {
            let trimmed = line.drop { $0 == " " }
            if trimmed.hasPrefix("GPU "), let colon = trimmed.firstIndex(of: ":") {
                card = Int(trimmed[trimmed.index(trimmed.startIndex, offsetBy: 4)..<colon])
            } else if trimmed.hasPrefix("MIG "), let card, let uuid = uuid(in: trimmed) {
                let profile = trimmed.dropFirst(4).prefix { $0 != " " }
                instances.append(MIGInstance(cardIndex: card, profile: String(profile), uuid: uuid))
            }
        }
        return instances
    }

    private static func uuid(in line: Substring) -> String? {
        let marker = "UUID: "
        var rest = line[...]
        while !rest.isEmpty {
            if rest.hasPrefix(marker) { return String(rest.dropFirst(marker.count).prefix { $0 != ")" }) }
            rest = rest.dropFirst()
        }
        return nil
    }

    private static func fields(_ line: String) -> [String] {
        line.split(separator: ",", omittingEmptySubsequences: false).map { field in
            String(field.drop { $0 == " " }.reversed().drop { $0 == " " }.reversed())
        }
    }

    private static func isAbsent(_ value: String) -> Bool {
        value.isEmpty || value == "[N/A]" || value == "N/A" || value.hasPrefix("[Not Supported")
    }

    /// `23028`, `23028 MiB`.
    static func mebibytes(_ value: String) -> Int? {
        Int(value.split(separator: " ").first ?? "")
    }
}
