/// How PyYAML reads a plain scalar and Python's `str()` prints it, for the values SkyPilot
/// turns into strings (env values, cpus, memory).
enum PythonScalar {
    static func string(forPlain text: String) -> String {
        if text.wholeMatch(of: /[-+]?(0|[1-9][0-9_]*)/) != nil, let value = Int(text.replacingOccurrences(of: "_", with: "")) {
            return String(value)
        }
        if text.wholeMatch(of: /[-+]?([0-9][0-9_]*)?\.[0-9_]*([eE][-+][0-9]+)?/) != nil,
            text.contains(where: \.isNumber),
            let value = Double(text.replacingOccurrences(of: "_", with: ""))
        {
            // Swift's shortest round-trip form is Python's repr(float): 0.1, 1e-05, 1e+16.
            return value.description
        }
        return text
    }
}

/// `${VAR}` and `$VAR` in file mount paths, replaced from the task's envs.
enum EnvSubstitution {
    static func apply(_ text: String, _ variables: [String: String]) -> String {
        var result = text
        for (key, value) in variables.sorted(by: { $0.key.count > $1.key.count }) {
            result = result.replacingOccurrences(of: "${\(key)}", with: value)
            result = result.replacingOccurrences(of: "$\(key)", with: value)
        }
        return result
    }
}
