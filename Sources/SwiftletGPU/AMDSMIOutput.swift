/// What AMD's tools print as JSON, read into GPUs: `amd-smi static --json --asic --vram --bus`
/// (ROCm 6: an array; ROCm 7: `{"gpu_data": [...]}`), else `rocm-smi --showproductname
/// --showmeminfo vram --showuniqueid --showbus --json` (`{"card0": {...}, "system": {...}}`).
public enum AMDSMIOutput {
    /// The GPUs in `amd-smi static --json` output; nil when it is not that.
    public static func devices(amdSMI text: String) -> [GPUDevice]? {
        guard let document = JSONValue(parsing: text) else { return nil }
        guard let items = document.array ?? document["gpu_data"]?.array else { return nil }
        return items.enumerated().compactMap { position, item in
            guard let name = item["asic"]?["market_name"]?.string else { return nil }
            let index = item["gpu"]?.number.map { Int($0) } ?? position
            let bus = item["bus"]?["bdf"]?.string
            let serial = item["asic"]?["asic_serial"]?.string.flatMap(uniqueID)
            // `vram.size.value` is in MB as amd-smi counts them (its unit says so when present).
            let memory = item["vram"]?["size"]?["value"]?.number.map { Int($0) }
            return GPUDevice(vendor: .amd, index: index, uuid: serial ?? bus ?? "amd\(index)", name: name, memoryMiB: memory, busID: bus)
        }
    }

    /// The GPUs in `rocm-smi --json` output; nil when it is not that.
    public static func devices(rocmSMI text: String) -> [GPUDevice]? {
        guard let cards = JSONValue(parsing: text)?.object else { return nil }
        return cards.compactMap { key, card -> GPUDevice? in
            guard key.hasPrefix("card"), let index = Int(key.dropFirst(4)) else { return nil }
            guard let name = card["Card Series"]?.string ?? card["Card series"]?.string ?? card["Card SKU"]?.string else { return nil }
            let bus = card["PCI Bus"]?.string
            let memory = card["VRAM Total Memory (B)"]?.number.map { Int($0 / 1_048_576) }
            let uuid = card["Unique ID"]?.string.flatMap(uniqueID) ?? bus ?? "amd\(index)"
            return GPUDevice(vendor: .amd, index: index, uuid: uuid, name: name, memoryMiB: memory, busID: bus)
        }.sorted { $0.index < $1.index }
    }

    /// `0x8d1457e2c20f59d2` as ROCm's runtime names the device: `GPU-8d1457e2c20f59d2`.
    static func uniqueID(_ text: String) -> String? {
        let hex = text.lowercased().hasPrefix("0x") ? String(text.dropFirst(2)) : text
        guard !hex.isEmpty, hex.allSatisfy(\.isHexDigit), hex != "0" else { return nil }
        return "GPU-" + hex.lowercased()
    }
}
