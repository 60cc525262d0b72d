/// `/proc/driver/nvidia/gpus/<bus id>/information`: what the kernel driver says of a card where
/// `nvidia-smi` is missing (a minimal container, a host without the utilities package). It has
/// the model, UUID, bus and device minor, but not the memory.
public enum NvidiaProcInformation {
    /// The card in one `information` file (`Key:<tabs> value` lines); nil when it names none.
    /// `index` is its place among the cards in bus order (the driver's own numbering).
    public static func device(_ text: String, index: Int) -> GPUDevice? {
        var fields: [String: String] = [:]
        for line in text.split(whereSeparator: \.isNewline) {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let value = line[line.index(after: colon)...].drop { $0 == " " || $0 == "\t" }
            fields[String(line[..<colon])] = String(value.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
        }
        guard let model = fields["Model"], let uuid = fields["GPU UUID"] else { return nil }
        if fields["GPU Excluded"] == "Yes" { return nil }
        return GPUDevice(
            vendor: .nvidia,
            index: index,
            uuid: uuid,
            name: model,
            busID: fields["Bus Location"],
            minor: fields["Device Minor"].flatMap { Int($0) }
        )
    }
}
