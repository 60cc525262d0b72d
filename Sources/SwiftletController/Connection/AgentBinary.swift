import Foundation
import SwiftletPOSIX

/// The agent binary the controller installs on nodes, with its hash and size.
public struct AgentBinary: Sendable {
    public let path: String
    public let sha256: String
    public let size: Int
    /// The architecture it was built for, as `uname -m` names it.
    public let architecture: String

    /// `path`, else `$SWIFTLET_AGENT_BINARY`, else `swiftlet-agent` beside the running executable.
    public static func locate(home: SwiftletHome, path given: String? = nil) throws -> AgentBinary {
        let path: String
        if let given {
            path = given
        } else if let configured = SwiftletConfiguration.process.agentBinary {
            path = configured
        } else {
            path = FileSystem.parent(of: try SelfExecutable.path()) + "/swiftlet-agent"
        }
        guard access(path, X_OK) == 0 else {
            throw ControllerError("no agent binary at \(path); build it with 'swift build' or set SWIFTLET_AGENT_BINARY")
        }
        return try hashed(path: path, cache: home.path + "/agent-sha256.cache")
    }

    /// Hashing tens of MB at every command would cost more than a round trip, so the hash is
    /// cached keyed by path, size and modification time.
    static func hashed(path: String, cache: String) throws -> AgentBinary {
        // stat(2), not FileManager's attributes: their `Any` values cost a millisecond of dynamic
        // casts in a static binary, on every command.
        var info = stat()
        guard stat(path, &info) == 0 else { throw SystemError(errno: errno, "cannot read \(path)") }
        let size = Int(info.st_size)
        let key = "\(path) \(size) \(info.st_mtim.tv_sec).\(info.st_mtim.tv_nsec)"
        if let cached = try? String(contentsOfFile: cache, encoding: .utf8) {
            let lines = cached.split(separator: "\n")
            if lines.count == 2, lines[0] == key {
                return AgentBinary(path: path, sha256: String(lines[1]), size: size, architecture: SelfExecutable.machine)
            }
        }
        let sha = try SHA256Digest.hex(ofFile: path)
        try? FileManager.default.createDirectory(atPath: FileSystem.parent(of: cache), withIntermediateDirectories: true)
        try? AtomicFile.write(Array("\(key)\n\(sha)".utf8), to: cache)
        return AgentBinary(path: path, sha256: sha, size: size, architecture: SelfExecutable.machine)
    }
}
