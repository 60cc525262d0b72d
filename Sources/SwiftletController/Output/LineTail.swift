/// The last `lines` lines of a byte stream (plus an unfinished one), for `logs --tail`: memory
/// stays bounded by the lines kept, however long the log.
struct LineTail: Sendable {
    let lines: Int
    private(set) var bytes: [UInt8] = []

    init(lines: Int) {
        self.lines = max(0, lines)
    }

    mutating func append<Bytes: Collection<UInt8>>(_ chunk: Bytes) {
        bytes += chunk
        // Complete lines in the buffer; beyond `lines` of them, the oldest go.
        let newlines = bytes.count { $0 == UInt8(ascii: "\n") }
        guard newlines > lines else { return }
        var drop = newlines - lines
        var cut = 0
        for (index, byte) in bytes.enumerated() where byte == UInt8(ascii: "\n") {
            drop -= 1
            if drop == 0 {
                cut = index + 1
                break
            }
        }
        bytes.removeFirst(cut)
    }
}
