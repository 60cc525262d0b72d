/// Bytes shown to a person: printable ASCII as it is, every other byte (and the backslash) as
/// `\xNN`, so a name or an argument that is not UTF-8 can be named exactly.
public enum ByteEscaping {
    public static func escaped(_ bytes: some Sequence<UInt8>) -> String {
        var text = ""
        for byte in bytes {
            if byte >= 0x20 && byte < 0x7f && byte != UInt8(ascii: "\\") {
                text.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                let hex = String(byte, radix: 16)
                text += "\\x" + (hex.count == 1 ? "0" + hex : hex)
            }
        }
        return text
    }
}
