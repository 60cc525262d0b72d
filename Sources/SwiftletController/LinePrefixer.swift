/// Cuts a byte stream into lines and puts a prefix before each, holding a partial line until
/// its end arrives, so lines from different ranks never interleave mid-line.
public struct LinePrefixer: Sendable {
    public let prefix: [UInt8]
    private var partial: [UInt8] = []
    /// A single line longer than this is emitted in pieces rather than buffered without bound.
    public static let maximumLine = 64 * 1024

    public init(prefix: String) {
        self.prefix = Array(prefix.utf8)
    }

    /// The complete, prefixed lines in `bytes` (each ending in a newline), as one block.
    public mutating func feed<Bytes: Collection<UInt8>>(_ bytes: Bytes) -> [UInt8] {
        var output: [UInt8] = []
        var start = bytes.startIndex
        while let newline = bytes[start...].firstIndex(of: UInt8(ascii: "\n")) {
            output += prefix
            output += partial
            output += bytes[start...newline]
            partial.removeAll(keepingCapacity: true)
            start = bytes.index(after: newline)
        }
        partial += bytes[start...]
        if partial.count > Self.maximumLine {
            output += prefix + partial + [UInt8(ascii: "\n")]
            partial.removeAll(keepingCapacity: true)
        }
        return output
    }

    /// The last, unterminated line, if any, with a newline added.
    public mutating func finish() -> [UInt8] {
        guard !partial.isEmpty else { return [] }
        defer { partial.removeAll() }
        return prefix + partial + [UInt8(ascii: "\n")]
    }
}
