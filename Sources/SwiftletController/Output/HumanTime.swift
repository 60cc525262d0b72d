/// Times as SkyPilot's tables show them (its `readable_time_duration`): how long ago (`a few
/// secs ago`, `5 mins ago`, `1 hr ago`), and how long (`1h 2m 23s`, `< 1s`).
public enum HumanTime {
    /// `seconds` before now, in words.
    public static func ago(_ seconds: Int) -> String {
        let seconds = max(seconds, 0)
        if seconds < 1 { return "< 1 sec" }
        if seconds < 10 { return "a few secs ago" }
        for (unit, size) in [("day", 86_400), ("hr", 3_600), ("min", 60)] where seconds >= size {
            let count = seconds / size
            return "\(count) \(unit)\(count == 1 ? "" : "s") ago"
        }
        return "\(seconds) secs ago"
    }

    /// A duration of `seconds`: `1h 2m 23s`, `45s`, `< 1s`.
    public static func duration(_ seconds: Int) -> String {
        guard seconds >= 1 else { return "< 1s" }
        var parts: [String] = []
        var left = seconds
        for (unit, size) in [("d", 86_400), ("h", 3_600), ("m", 60), ("s", 1)] where left >= size {
            parts.append("\(left / size)\(unit)")
            left %= size
        }
        return parts.joined(separator: " ")
    }
}
