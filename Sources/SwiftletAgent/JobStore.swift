import SwiftletPOSIX
import SwiftletProtocol

#if canImport(Glibc)
    import Glibc
#endif

/// The node's job store: one small text file per job and rank, `~/.swiftlet/jobs/<cluster>/<id>/job`,
/// replaced atomically (a rename), so a crash of the daemon leaves the old record or the new
/// one (on a full disk it is rewritten in place instead, so the job still ends in a final
/// state). Waiting and ending are also synced to disk (file, then directory), so they survive a
/// power loss too: a wait before the controller is told, an end just after the exit status is
/// sent (a sync costs about half a millisecond, which every short command would otherwise
/// wait for). The start of a job is not synced: a job that started before a power loss died
/// with it, and its successor daemon records it FAILED_DRIVER.
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

    /// Where a step's output is logged, relative to the home: `setup.log` or `run.log` in the
    /// job's directory.
    static func logPath(of job: JobReference) -> String {
        directory(cluster: job.cluster, id: job.id) + (job.step == .setup ? "/setup.log" : "/run.log")
    }

    /// Where a step's supervisor leaves how it ended (``JobExitFile``), relative to the home.
    static func exitPath(of job: JobReference) -> String {
        directory(cluster: job.cluster, id: job.id) + (job.step == .setup ? "/setup.exit" : "/run.exit")
    }

    /// Where a step's script is kept when it is too long to pass as an argument.
    static func scriptPath(of job: JobReference) -> String {
        directory(cluster: job.cluster, id: job.id) + (job.step == .setup ? "/setup.sh" : "/run.sh")
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

    /// Writes a record through a new file and a rename; on a full disk, where no new file can
    /// be written, over the record that is there (a record that changes state fits in the block
    /// it has): a job whose disk filled still ends in a final state.
    private func save(_ record: JobRecord, durable: Bool) throws(SystemError) {
        let directory = home + "/" + Self.directory(cluster: record.cluster, id: record.id)
        try FileSystem.createDirectories(directory)
        try AtomicFile.replace(Array(record.text.utf8), at: directory + "/job", durable: durable)
    }

    /// Reads, changes and writes back a record under the store's lock; `change` gets nil when
    /// there is none yet. Returns what was written (nil when `change` declined or left it as it
    /// was); throws when it could not be written.
    @discardableResult
    func modify(directory: String, durable: Bool, _ change: (JobRecord?) -> JobRecord?) throws(SystemError) -> JobRecord? {
        lock.lock()
        defer { lock.unlock() }
        let current = load(directory: directory)
        guard let changed = change(current), changed != current else { return nil }
        try save(changed, durable: durable)
        return changed
    }

    /// Makes the record in `directory` durable (see ``modify(directory:durable:_:)``).
    func sync(directory: String) {
        AtomicFile.sync(recordPath(directory: directory))
    }

    /// ``modify(directory:durable:_:)`` for a record that exists.
    @discardableResult
    func update(directory: String, durable: Bool = true, _ change: (JobRecord) -> JobRecord?) -> JobRecord? {
        try? modify(directory: directory, durable: durable) { $0.flatMap(change) }
    }

    /// Records the end of a job whose process is gone with no agent left to record it: as its
    /// supervisor left it in the step's exit file (the daemon that ran it died, the job did
    /// not), else FAILED_DRIVER (its status went with its daemon).
    func settleOrphan(directory: String) {
        update(directory: directory) { record in
            let step: JobTicket.Step = record.state == .settingUp ? .setup : .run
            let exitFile = home + "/" + Self.exitPath(of: JobReference(cluster: record.cluster, id: record.id, step: step))
            guard [.running, .settingUp].contains(record.state), let ended = JobExitFile(path: exitFile) else {
                return record.moved(to: .failedDriver, at: UTCTime.now)
            }
            let state: JobState =
                switch (step, ended.status.succeeded) {
                case (.setup, true): .failedDriver  // no daemon was left to start its run
                case (.setup, false): .failedSetup
                case (.run, true): .succeeded
                case (.run, false): .failed
                }
            var settled = record.moved(to: state, at: UTCTime.now)
            if step == .setup { settled?.setupExit = ended.status }
            if state != .failedDriver { settled?.exit = ended.status }
            if let cut = ended.logCut { settled?.logCut = JobRecord.LogCut(step: step, offset: cut.offset) }
            return settled
        }
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
