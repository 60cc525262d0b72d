import NIOCore

// Payload primitives. Every variable-length item carries a u32 length; readers check it
// against the bytes actually present, so a lying length can never allocate more than the frame.
extension ByteBuffer {
    @discardableResult
    mutating func writeWireString(_ string: String) -> Int {
        let length = writeInteger(UInt32(0))
        let count = writeString(string)
        setInteger(UInt32(count), at: writerIndex - count - length)
        return length + count
    }

    mutating func writeWireStrings(_ strings: [String]) {
        writeInteger(UInt32(strings.count))
        for string in strings { writeWireString(string) }
    }

    mutating func writeWirePairs(_ pairs: [(String, String)]) {
        writeInteger(UInt32(pairs.count))
        for (key, value) in pairs {
            writeWireString(key)
            writeWireString(value)
        }
    }
}

/// Reads payload primitives, throwing ``ProtocolError`` on truncation instead of trapping.
struct WireReader {
    var buffer: ByteBuffer
    let what: String

    init(_ buffer: ByteBuffer, what: String) {
        self.buffer = buffer
        self.what = what
    }

    mutating func integer<T: FixedWidthInteger>(_: T.Type = T.self) throws -> T {
        guard let value = buffer.readInteger(as: T.self) else { throw truncated() }
        return value
    }

    mutating func string() throws -> String {
        let length = Int(try integer(UInt32.self))
        guard length <= buffer.readableBytes, let string = buffer.readString(length: length) else {
            throw truncated()
        }
        return string
    }

    mutating func strings() throws -> [String] {
        let count = Int(try integer(UInt32.self))
        // Each string takes at least 4 bytes, which bounds `count` by what is really there.
        guard count <= buffer.readableBytes / 4 else { throw truncated() }
        return try (0..<count).map { _ in try string() }
    }

    mutating func pairs() throws -> [(String, String)] {
        let count = Int(try integer(UInt32.self))
        guard count <= buffer.readableBytes / 8 else { throw truncated() }
        return try (0..<count).map { _ in (try string(), try string()) }
    }

    mutating func rest() -> ByteBuffer {
        buffer.readSlice(length: buffer.readableBytes)!
    }

    func finish() throws {
        guard buffer.readableBytes == 0 else {
            throw ProtocolError(.malformedFrame, "\(what): \(buffer.readableBytes) unexpected trailing bytes")
        }
    }

    private func truncated() -> ProtocolError {
        ProtocolError(.malformedFrame, "\(what): payload is truncated")
    }
}
