/// A JSON value written the way Python's `json.dumps(value, sort_keys=True)` writes it, so that
/// Swiftlet's normalized tasks compare byte for byte with SkyPilot's, and sort the same.
public indirect enum PythonJSON: Equatable, Sendable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([PythonJSON])
    case object([String: PythonJSON])

    public var text: String {
        switch self {
        case .null: return "null"
        case .bool(let value): return value ? "true" : "false"
        case .number(let value):
            if value.rounded() == value, value.magnitude < 1e15 { return String(Int(value)) }
            return value.description
        case .string(let value): return Self.quote(value)
        case .array(let values): return "[" + values.map(\.text).joined(separator: ", ") + "]"
        case .object(let members):
            return "{" + members.keys.sorted().map { "\(Self.quote($0)): \(members[$0]!.text)" }.joined(separator: ", ") + "}"
        }
    }

    /// A JSON string with Python's `ensure_ascii` escaping.
    static func quote(_ string: String) -> String {
        var result = "\""
        for unit in string.utf16 {
            switch unit {
            case 0x22: result += "\\\""
            case 0x5C: result += "\\\\"
            case 0x0A: result += "\\n"
            case 0x0D: result += "\\r"
            case 0x09: result += "\\t"
            case 0x08: result += "\\b"
            case 0x0C: result += "\\f"
            case 0x20..<0x7F: result.unicodeScalars.append(Unicode.Scalar(unit)!)
            default:
                let hex = String(unit, radix: 16)
                result += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            }
        }
        return result + "\""
    }
}

extension TaskSpec {
    /// The normalized reading of the task (see `shared/fixtures/README.md`): what SkyPilot 0.14
    /// makes of it, field for field.
    public var normalized: PythonJSON {
        let resources = resourceChoices.map(\.normalized).sorted { $0.text < $1.text }
        return .object([
            "name": name.map(PythonJSON.string) ?? .null,
            "num_nodes": .number(Double(numNodes)),
            "workdir": workdir.map(PythonJSON.string) ?? gitWorkdir.map(\.normalized) ?? .null,
            "setup": setup.map(PythonJSON.string) ?? .null,
            "run": run.map(PythonJSON.string) ?? .null,
            "envs": .object(Dictionary(envs.map { ($0.key, PythonJSON.string($0.value)) }, uniquingKeysWith: { _, last in last })),
            "secrets": .array(secrets.map { .string($0.key) }),
            "file_mounts": .object(fileMounts.mapValues(PythonJSON.string)),
            "resources": .array(resources),
        ])
    }
}

extension TaskSpec.GitWorkdir {
    var normalized: PythonJSON {
        .object(["url": .string(url)].merging(ref.map { ["ref": .string($0)] } ?? [:]) { first, _ in first })
    }
}

extension TaskSpec.Resources {
    var normalized: PythonJSON {
        let image: PythonJSON
        if !imageIDsByRegion.isEmpty {
            image = .array(imageIDsByRegion.values.sorted().map(PythonJSON.string))
        } else {
            image = imageID.map(PythonJSON.string) ?? .null
        }
        return .object([
            "accelerators": accelerators.isEmpty ? .null : .object(accelerators.mapValues(PythonJSON.number)),
            "image_id": image,
            "ports": .array(ports.map(PythonJSON.string)),
            "cpus": cpus.map(PythonJSON.string) ?? .null,
            "memory": memory.map(PythonJSON.string) ?? .null,
            "use_spot": .bool(useSpot),
        ])
    }
}
