/// SkyPilot's names for GPU models: `NVIDIA H100 80GB HBM3` is `H100`, `NVIDIA A100-SXM4-80GB`
/// is `A100-80GB`, `Tesla T4` is `T4`, `AMD Instinct MI300X` is `MI300X`.
///
/// The table is SkyPilot's list of canonical names (its Kubernetes and Slurm GPU labelling),
/// longer names first so that `L40S` is never read as `L4` nor `A100` as `A10`; a name matches
/// as a whole word of the driver's name. A driver name that matches none is kept recognisable
/// the way SkyPilot's labeller keeps it: vendor words dropped, `RTX 4090` as `RTX4090`.
public enum GPUModelName {
    /// Most specific first.
    static let canonicalNames: [String] = [
        "GB300", "GB200", "B300", "B200", "B100",
        "GH200", "H200", "H100-MEGA", "H100",
        "A100-80GB", "A100", "A10G", "A10", "A16", "A30", "A40",
        "RTX6000-Ada", "L40S", "L40", "L4",
        "A6000", "A5000", "A4000",
        "V100-32GB", "V100", "P100", "P40", "P4000", "P4", "T4g", "T4", "K80", "M60",
        "MI355X", "MI350X", "MI325X", "MI300X", "MI300A", "MI300", "MI250X", "MI250", "MI210", "MI100",
    ]

    /// Names SkyPilot has used for the same hardware.
    static let sameHardware: [String: String] = ["H100-80GB": "H100"]

    /// SkyPilot's name for the GPU the driver calls `name`.
    public static func canonical(_ name: String) -> String {
        let words = name.split(whereSeparator: { $0 == " " || $0 == "/" }).map(String.init)
        for candidate in canonicalNames {
            if candidate == "A100-80GB" {
                if words.contains(where: { $0.uppercased().hasPrefix("A100") }) && name.uppercased().contains("80GB") { return candidate }
                continue
            }
            if candidate == "V100-32GB" {
                if words.contains(where: { $0.uppercased().hasPrefix("V100") }) && name.uppercased().contains("32GB") { return candidate }
                continue
            }
            if candidate == "RTX6000-Ada" {
                if name.contains("RTX 6000 Ada") { return candidate }
                continue
            }
            if containsWord(candidate, in: name) { return candidate }
        }
        return fallback(name)
    }

    /// Whether a node's GPU of SkyPilot model `model` is what a task asking for `requested`
    /// wants (case does not matter, as in SkyPilot; `H100-80GB` is an `H100`).
    public static func matches(requested: String, model: String) -> Bool {
        normalized(requested) == normalized(model)
    }

    private static func normalized(_ name: String) -> String {
        let upper = name.uppercased()
        return sameHardware.first { $0.key.uppercased() == upper }?.value.uppercased() ?? upper
    }

    /// `word` occurs in `text` with no letter or digit on either side (case-insensitive).
    static func containsWord(_ word: String, in text: String) -> Bool {
        let haystack = Array(text.uppercased().utf8)
        let needle = Array(word.uppercased().utf8)
        guard needle.count <= haystack.count else { return false }
        func isWordByte(_ byte: UInt8) -> Bool {
            (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
        }
        for start in 0...(haystack.count - needle.count) where haystack[start..<start + needle.count].elementsEqual(needle) {
            let before = start == 0 || !isWordByte(haystack[start - 1])
            let end = start + needle.count
            let after = end == haystack.count || !isWordByte(haystack[end])
            if before && after { return true }
        }
        return false
    }

    /// A name SkyPilot's table lacks: vendor and brand words dropped, `RTX 4090` joined as
    /// `RTX4090`, `Ada Generation` as `-Ada`, the rest joined by hyphens.
    static func fallback(_ name: String) -> String {
        let dropped: Set<String> = ["NVIDIA", "AMD", "GEFORCE", "TESLA", "QUADRO", "INSTINCT", "RADEON"]
        var words = name.split(separator: " ").map(String.init).filter { !dropped.contains($0.uppercased()) }
        if let ada = words.firstIndex(where: { $0.uppercased() == "ADA" }), ada + 1 < words.count,
            words[ada + 1].uppercased() == "GENERATION"
        {
            words.remove(at: ada + 1)
        }
        var joined: [String] = []
        for word in words {
            if let last = joined.last, ["RTX", "GTX"].contains(last.uppercased()), word.first?.isNumber == true {
                joined[joined.count - 1] = last.uppercased() + word
            } else {
                joined.append(word)
            }
        }
        return joined.isEmpty ? name : joined.joined(separator: "-")
    }
}
