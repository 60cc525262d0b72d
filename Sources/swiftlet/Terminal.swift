import SwiftletPOSIX
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The controller's own stdout and stderr, written with one `write` per block so that lines
/// from concurrent ranks never interleave mid-line.
enum Terminal {
    static func out(_ bytes: [UInt8]) { bytes.withUnsafeBytes { writeAll(1, $0) } }
    static func err(_ bytes: [UInt8]) { bytes.withUnsafeBytes { writeAll(2, $0) } }
    static func out(_ bytes: UnsafeRawBufferPointer) { writeAll(1, bytes) }
    static func err(_ bytes: UnsafeRawBufferPointer) { writeAll(2, bytes) }
    static func out(_ text: String) { out(Array(text.utf8)) }
    static func err(_ text: String) { err(Array(text.utf8)) }

    static var stdinIsTerminal: Bool { isatty(0) == 1 }
    static var stderrIsTerminal: Bool { isatty(2) == 1 }

    private static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) {
        _ = FileDescriptorIO.writeAll(fd, bytes)
    }
}

extension Terminal {
    /// `value` as the read commands' `--json` prints it: indented, keys sorted, `/` unescaped.
    static func json(_ value: some Encodable) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        out(Array(try encoder.encode(value)) + [UInt8(ascii: "\n")])
    }
}
