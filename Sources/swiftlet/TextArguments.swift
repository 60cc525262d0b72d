import SwiftletPOSIX

#if canImport(Glibc)
    import Glibc
#endif

/// Swiftlet hands commands and values to nodes as text. An argument or an environment value
/// whose bytes are not UTF-8 is refused, naming it, rather than passed on with its bytes
/// replaced (Swift's `CommandLine.arguments` repairs them silently).
enum TextArguments {
    struct NotText: Error, CustomStringConvertible {
        let description: String
    }

    /// Throws for the first argument that is not UTF-8, showing its bytes escaped.
    static func checkCommandLine() throws(NotText) {
        for index in 1..<Int(CommandLine.argc) {
            guard let raw = CommandLine.unsafeArgv[index], String(validatingCString: raw) == nil else { continue }
            let bytes = Array(UnsafeBufferPointer(start: UnsafeRawPointer(raw).assumingMemoryBound(to: UInt8.self), count: strlen(raw)))
            throw NotText(
                description: "argument \(index) is not UTF-8 text: \(ByteEscaping.escaped(bytes)); "
                    + "Swiftlet passes commands and values as text (encode binary values, e.g. with base64)"
            )
        }
    }

    /// The value of `key` in this process's environment; nil when it is not set. Throws when
    /// it is not UTF-8, without showing it (it may be a secret).
    static func environmentValue(_ key: String) throws(NotText) -> String? {
        guard let raw = getenv(key) else { return nil }
        guard let value = String(validatingCString: raw) else {
            throw NotText(description: "the value of \(key) in this environment is not UTF-8 text")
        }
        return value
    }
}
