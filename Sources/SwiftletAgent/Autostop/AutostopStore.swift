import SwiftletPOSIX
import SwiftletProtocol

/// The node's autostop settings, one file per cluster under `~/.swiftlet/autostop/`, each
/// replaced whole (a crash leaves the old setting or the new one).
struct AutostopStore: Sendable {
    let directory: String

    init(home: String = Environment.home) {
        directory = home + "/.swiftlet/autostop"
    }

    func load(_ cluster: String) -> Autostop? {
        Autostop(text: FileSystem.contents(of: directory + "/" + cluster))
    }

    func all() -> [Autostop] {
        FileSystem.entries(of: directory).sorted().compactMap { JobStore.isValidCluster($0) ? load($0) : nil }
    }

    func save(_ setting: Autostop) throws(SystemError) {
        try FileSystem.createDirectories(directory)
        try AtomicFile.write(Array(setting.text.utf8), to: directory + "/" + setting.cluster)
    }
}
