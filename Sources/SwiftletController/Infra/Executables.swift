import Foundation

/// Finds programs on `$PATH`.
enum Executables {
    /// `install` says how to get the program when it is missing (`apt-get install openssh-client`).
    static func find(_ name: String, install: String? = nil) throws -> String {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for directory in path.split(separator: ":") {
            let candidate = "\(directory)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        throw ControllerError("'\(name)' is not on PATH" + (install.map { "; install it (Debian: \($0))" } ?? ""))
    }
}
