import SwiftletPOSIX
import SwiftletProtocol

#if canImport(Glibc)
    import Glibc
#endif

/// The node's job store: one small text file per job and rank, `~/.swiftlet/jobs/<cluster>/<id>/job`,
/// replaced atomically and synced to disk (file, then directory) on every change of state.
///
/// Why files and not SQLite: a record is written a handful of times in a job's life, by one
/// process; a rename is atomic, so a crash leaves the old record or the new one and never a torn
/// one, and a damaged record cannot take the others with it. It needs no library in the static
/// agent, and `cat` reads it on the node.
final class JobStore: Sendable {
    let home: String
    private let lock = Lock()

    init(home: String = Environment.home) {
        self.home = home
    }

    /// The job's directory relative to the home: where its logs and record live.
    static func directory(cluster: String, id: UInt32) -> String {
        ".swiftlet/jobs/\(cluster)/\(id)"
    }

    /// Whether `name` can be a cluster's directory name (the controller validates it too).
    static func isValidCluster(_ name: String) -> Bool {
        !name.isEmpty && name != "." && name != ".." && !name.contains("/") && !name.contains("\n")
    }

    func recordPath(directory: String) -> String {
        home + "/" + directory + "/job"
    }

    func load(directory: String) -> JobRecord? {
        JobRecord(text: FileSystem.contents(of: recordPath(directory: directory)))
    }

    func save(_ record: JobRecord) throws(SystemError) {
        let directory = home + "/" + Self.directory(cluster: record.cluster, id: record.id)
        try FileSystem.createDirectories(directory)
        try AtomicFile.write(Array(record.text.utf8), to: directory + "/job", durable: true)
    }

    /// Reads, changes and writes back a record under the store's lock; returns what was written
    /// (nil when there is no record or `change` left it as it was).
    @discardableResult
    func update(directory: String, _ change: (JobRecord) -> JobRecord?) -> JobRecord? {
        lock.withLock {
            guard let record = load(directory: directory), let changed = change(record), changed != record else { return nil }
            do { try save(changed) } catch { return nil }
            return changed
        }
    }

    /// Creates or replaces a record under the store's lock.
    func create(_ record: JobRecord) throws {
        try lock.withLock { try save(record) }
    }

    /// Every record of `cluster` (of every cluster when nil), by cluster and id.
    func records(cluster: String?) -> [JobRecord] {
        let root = home + "/.swiftlet/jobs"
        let clusters = cluster.map { [$0] } ?? FileSystem.entries(of: root).sorted()
        return clusters.flatMap { name in
            FileSystem.entries(of: root + "/" + name).compactMap(UInt32.init).sorted().compactMap { id in
                load(directory: Self.directory(cluster: name, id: id))
            }
        }
    }
}
