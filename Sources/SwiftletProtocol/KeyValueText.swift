/// `key=value` lines, the text form of a job record and of a node's state.
enum KeyValueText {
    /// The fields of `text`; nil when a line has no `=` (a torn or foreign file).
    static func fields(_ text: String) -> [Substring: Substring]? {
        var fields: [Substring: Substring] = [:]
        for line in text.split(separator: "\n") {
            guard let equals = line.firstIndex(of: "=") else { return nil }
            fields[line[..<equals]] = line[line.index(after: equals)...]
        }
        return fields
    }
}
