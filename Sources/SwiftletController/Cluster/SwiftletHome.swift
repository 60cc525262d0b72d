import Foundation
import SwiftletPOSIX

/// The controller's own state directory: `$SWIFTLET_HOME`, default `~/.swiftlet`.
public struct SwiftletHome: Sendable {
    public let path: String

    public init(path: String) {
        self.path = path
    }

    public static func fromEnvironment() -> SwiftletHome {
        if let path = SwiftletConfiguration.process.home { return SwiftletHome(path: path) }
        return SwiftletHome(path: Environment.home + "/.swiftlet")
    }

    public var clusters: String { path + "/clusters" }
    /// Where transports leave their stderr while a node comes up (read for the error when it
    /// does not).
    public var transportErrors: String { path + "/transport" }

    /// Creates `directory` (0700) and any missing parents.
    public func ensure(_ directory: String) throws {
        // Most calls find it there: one syscall, not FileManager's attribute dictionary (whose
        // first use costs a conformance scan of the whole binary).
        if mkdir(directory, 0o700) == 0 || errno == EEXIST { return }
        try FileManager.default.createDirectory(
            atPath: directory,
            withIntermediateDirectories: true,
            attributes: [.posixPermissions: 0o700]
        )
    }
}
