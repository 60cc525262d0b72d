/// The fixed bytes that open each side's output, before any frame.
///
/// ```
///  0x89 'S' 'W' 'L' 0x0D 0x0A 0x1A 0x0A
/// ```
/// Non-printable and line-ending sensitive (as PNG's signature), so that neither a login banner
/// nor a mangled text transfer can produce it. A receiver discards everything before it.
///
/// The bootstrap snippet speaks before the agent exists, in lines that start with the same four
/// bytes followed by `:` (``BootstrapLine``).
public enum Preamble {
    public static let bytes: [UInt8] = [0x89, 0x53, 0x57, 0x4C, 0x0D, 0x0A, 0x1A, 0x0A]
    /// The shared prefix of the preamble and of bootstrap lines.
    static let marker: [UInt8] = [0x89, 0x53, 0x57, 0x4C]
    /// How much noise (banners, rc-file output) may come before the preamble.
    public static let maximumNoise = 256 * 1024
}

/// A line the bootstrap snippet wrote: `0x89 "SWL:" verb SP text LF`.
public struct BootstrapLine: Hashable, Sendable {
    public var verb: String
    public var text: String

    public init(verb: String, text: String) {
        self.verb = verb
        self.text = text
    }
}
