import NIOCore

/// Finds the ``Preamble`` in a byte stream, skipping noise and collecting ``BootstrapLine``s.
///
/// Pure: bytes in, events out. After ``Event/preambleFound`` the remaining bytes of the buffer
/// are frames.
public struct PreambleScanner: Sendable {
    public enum Event: Hashable, Sendable {
        case bootstrapLine(BootstrapLine)
        case preambleFound
    }

    private var noiseSeen = 0
    public let maximumNoise: Int

    public init(maximumNoise: Int = Preamble.maximumNoise) {
        self.maximumNoise = maximumNoise
    }

    /// Consumes what it can from `buffer`. Returns the events found, ending with
    /// `.preambleFound` once the preamble has been consumed.
    public mutating func scan(_ buffer: inout ByteBuffer) throws(ProtocolError) -> [Event] {
        var events: [Event] = []
        while buffer.readableBytes > 0 {
            let view = buffer.readableBytesView
            guard let start = view.firstIndex(of: Preamble.marker[0]) else {
                try skip(view.count, of: &buffer)
                return events
            }
            try skip(start - view.startIndex, of: &buffer)
            let candidate = buffer.readableBytesView
            guard candidate.count >= Preamble.marker.count + 1 else { return events }
            guard candidate.starts(with: Preamble.marker) else {
                try skip(1, of: &buffer)
                continue
            }
            let afterMarker = candidate.dropFirst(Preamble.marker.count)
            if afterMarker.first == UInt8(ascii: ":") {
                guard let newline = afterMarker.firstIndex(of: UInt8(ascii: "\n")) else {
                    if candidate.count > 4096 { try skip(1, of: &buffer) }
                    return events
                }
                let line = String(decoding: afterMarker[(afterMarker.startIndex + 1)..<newline], as: UTF8.self)
                buffer.moveReaderIndex(forwardBy: newline - candidate.startIndex + 1)
                let parts = line.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: false)
                events.append(
                    .bootstrapLine(
                        BootstrapLine(
                            verb: String(parts[0]),
                            text: parts.count > 1 ? String(parts[1]) : ""
                        )
                    )
                )
                continue
            }
            guard candidate.count >= Preamble.bytes.count else { return events }
            if candidate.starts(with: Preamble.bytes) {
                buffer.moveReaderIndex(forwardBy: Preamble.bytes.count)
                events.append(.preambleFound)
                return events
            }
            try skip(1, of: &buffer)
        }
        return events
    }

    private mutating func skip(_ count: Int, of buffer: inout ByteBuffer) throws(ProtocolError) {
        buffer.moveReaderIndex(forwardBy: count)
        noiseSeen += count
        if noiseSeen > maximumNoise {
            throw ProtocolError(
                .noPreamble,
                "no Swiftlet preamble in the first \(maximumNoise) bytes from the peer; is it an agent?"
            )
        }
    }
}
