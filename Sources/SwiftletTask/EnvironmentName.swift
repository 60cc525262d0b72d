/// What may name an environment variable a task sets: a shell name (letters, digits and `_`,
/// not starting with a digit). `A=B` or `A B` would reach the process as some other variable.
public enum EnvironmentName {
    public static func isValid(_ name: String) -> Bool {
        guard let first = name.utf8.first, first < 0x30 || first > 0x39 else { return false }
        return name.utf8.allSatisfy { byte in
            (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte) || byte == 0x5F
        }
    }
}
