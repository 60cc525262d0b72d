import SwiftletPOSIX

#if canImport(Glibc)
    import Glibc
#endif

/// Refuses to serve from an install another user could have written: the agent the controller
/// installed (`~/.swiftlet/agent/<sha256>/swiftlet-agent`), its version directory and the
/// directories above it up to `~/.swiftlet` must be this user's and writable by no one else, or
/// the next command would run whatever someone put there. An agent installed elsewhere (a
/// package, a build directory) is the installer's business.
enum InstallCheck {
    /// What is wrong with the install of `binary`, or nil.
    static func problem(binary: String, home: String) -> String? {
        let state = home + "/.swiftlet"
        let root = state + "/agent/"
        guard binary.hasPrefix(root) else { return nil }
        let version = FileSystem.parent(of: binary)
        for path in [binary, version, FileSystem.parent(of: version), state] {
            var info = stat()
            guard lstat(path, &info) == 0 else { return "cannot inspect \(path)" }
            if info.st_uid != getuid() {
                return "\(path) belongs to uid \(info.st_uid), not to this user (\(getuid()))"
            }
            if info.st_mode & 0o022 != 0 {
                let mode = String(info.st_mode & 0o7777, radix: 8)
                return "\(path) is writable by other users (mode \(mode)); run 'chmod go-w \(path)'"
            }
        }
        return nil
    }
}
