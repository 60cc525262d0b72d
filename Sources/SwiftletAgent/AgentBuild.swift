import SwiftletPOSIX
import SwiftletProtocol

/// What this agent binary is.
public enum AgentBuild {
    /// The release version of the agent.
    public static let version = "0.1.0"

    /// The sha256 of the running binary. An installed agent lives in a directory named after
    /// its hash (checked at install), so that name is used instead of hashing tens of MB at
    /// every start.
    public static func buildID() throws(SystemError) -> String {
        let path = try SelfExecutable.path()
        let components = path.split(separator: "/")
        if components.count >= 2 {
            let directory = components[components.count - 2]
            if directory.count == 64, directory.allSatisfy(\.isHexDigit) { return String(directory) }
        }
        return try SHA256Digest.hex(ofFile: path)
    }

    /// The capability a daemon run by systemd announces: the controller then talks to it even
    /// when it is another build than the agent it uploaded.
    public static let managedCapability = "managed-daemon"

    /// The agent's ``Hello``; `managed` when systemd runs it.
    public static func hello(managed: Bool = false) throws(SystemError) -> Hello {
        Hello(
            role: "agent",
            buildID: try buildID(),
            os: SelfExecutable.operatingSystem,
            arch: SelfExecutable.machine,
            capabilities: StreamRouter.standard.capabilities + (managed ? [managedCapability] : [])
        )
    }
}
