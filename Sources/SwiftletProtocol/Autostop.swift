/// A cluster's autostop as its head node keeps it (`launch -i N [--down]`, `swiftlet autostop`):
/// once no job of the cluster has been running or waiting there for `minutes`, the node stops
/// the cluster (`down`: also forgets its jobs) and says so when next asked. As `key=value` lines,
/// on disk and as an ``StreamType/autostop`` stream's request and answer.
public struct Autostop: Hashable, Sendable {
    public var cluster: String
    /// Idle minutes before it fires; -1: no autostop (cancelled).
    public var minutes: Int
    /// Tear the cluster down, not only stop it.
    public var down: Bool
    /// When it was set, and when it fired (0: not yet), in seconds since the epoch.
    public var setAt: Int
    public var firedAt: Int
    /// The newest job id of the cluster on the node when it fired: a newer job arms it again.
    public var firedAfterJob: UInt32 = 0

    public init(cluster: String, minutes: Int, down: Bool, setAt: Int = 0, firedAt: Int = 0) {
        self.cluster = cluster
        self.minutes = minutes
        self.down = down
        self.setAt = setAt
        self.firedAt = firedAt
    }

    /// Whether it still waits to fire.
    public var isPending: Bool { minutes >= 0 && firedAt == 0 }

    /// Whether it fires at `now`, given the cluster's job records on the node: none unfinished,
    /// and the last one submitted or ended (or the setting itself) at least `minutes` ago.
    public func isDue(records: [JobRecord], now: Int) -> Bool {
        guard isPending, !records.contains(where: { !$0.state.isFinal }) else { return false }
        let lastActivity = records.reduce(setAt) { max($0, $1.submitted, $1.ended) }
        return now - lastActivity >= minutes * 60
    }

    /// Armed again once a job of the cluster came after it fired (the cluster is in use again),
    /// counting idle time from `now`; nil when it has not fired or nothing came since.
    public func rearmed(records: [JobRecord], now: Int) -> Autostop? {
        guard minutes >= 0, firedAt > 0, records.contains(where: { $0.id > firedAfterJob }) else { return nil }
        return Autostop(cluster: cluster, minutes: minutes, down: down, setAt: now)
    }

    public var text: String {
        "cluster=\(cluster)\nminutes=\(minutes)\ndown=\(down ? 1 : 0)\nset=\(setAt)\nfired=\(firedAt)\nfired_after_job=\(firedAfterJob)\n"
    }

    /// Reads ``text``; nil when it is not one.
    public init?(text: String) {
        guard let fields = KeyValueText.fields(text), let cluster = fields["cluster"], let minutes = fields["minutes"].flatMap({ Int($0) })
        else { return nil }
        self.init(
            cluster: String(cluster),
            minutes: minutes,
            down: fields["down"] == "1",
            setAt: fields["set"].flatMap { Int($0) } ?? 0,
            firedAt: fields["fired"].flatMap { Int($0) } ?? 0
        )
        firedAfterJob = fields["fired_after_job"].flatMap { UInt32($0) } ?? 0
    }
}
