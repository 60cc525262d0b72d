/// The daemon's life as a value: a signal or a tick of its clock goes in, what to do comes out.
///
/// ```
///  serving ──SIGUSR1 (a newer agent took over)──▶ retiring ──idle at all──▶ stopped("retired")
///     │  └──idle for `idleLimit`──▶ stopped("idle")     │
///     └──SIGTERM / SIGINT──▶ stopped("stopped by signal") ◀┘
/// ```
/// A retiring daemon stops listening at once (the new one listens) and serves what it holds to
/// its end. Under systemd there is no `idleLimit`: the service manager decides when it stops.
struct DaemonLifeStateMachine: Equatable {
    enum Phase: Equatable {
        case serving
        case retiring
        case stopped(reason: String)
    }

    enum Event: Equatable {
        case terminate
        case retire
        /// The clock ticked; `idle` is how long the node has had no connection and no job (nil
        /// while it has either).
        case tick(idle: Duration?)
    }

    enum Action: Equatable {
        case none
        /// Withdraw the socket and the pid file and stop accepting (the lock goes with them).
        case stopListening
        /// Leave: the daemon's work is done (or it was told to stop).
        case leave(reason: String)
    }

    /// How long the daemon may sit idle before it exits; nil: never (systemd runs it).
    let idleLimit: Duration?
    private(set) var phase = Phase.serving

    init(idleLimit: Duration?) {
        self.idleLimit = idleLimit
    }

    mutating func handle(_ event: Event) -> Action {
        switch (phase, event) {
        case (.stopped, _):
            return .none
        case (_, .terminate):
            return stop("stopped by signal")
        case (.serving, .retire):
            phase = .retiring
            return .stopListening
        case (.retiring, .retire):
            return .none
        case (.retiring, .tick(let idle)):
            return idle == nil ? .none : stop("retired")
        case (.serving, .tick(let idle)):
            guard let idle, let idleLimit, idle >= idleLimit else { return .none }
            return stop("idle")
        }
    }

    private mutating func stop(_ reason: String) -> Action {
        phase = .stopped(reason: reason)
        return .leave(reason: reason)
    }
}
