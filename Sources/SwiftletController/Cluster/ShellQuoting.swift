/// POSIX shell quoting.
public enum ShellQuoting {
    /// `value` as one single-quoted shell word.
    public static func quote(_ value: String) -> String {
        "'" + value.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}
