/// The time a polling loop or a timer waits on, injected: `.continuous` in the product, a
/// test's `ManualClock` in tests, so a test of a grace period or a retry moves time on instead
/// of sleeping through it.
///
/// It erases the clock's type so it can be a stored property of types that are not generic;
/// time is read as the duration since the clock was wrapped.
public struct LoopClock: Sendable {
    private let elapsed: @Sendable () -> Duration
    private let sleeper: @Sendable (Duration) async throws -> Void

    public init<C: Clock>(_ clock: C) where C.Duration == Duration, C: Sendable {
        let origin = clock.now
        elapsed = { origin.duration(to: clock.now) }
        sleeper = { try await clock.sleep(for: $0) }
    }

    public static let continuous = LoopClock(ContinuousClock())

    /// The time since the clock was wrapped; compare two readings, never a reading with a
    /// reading of another clock.
    public var now: Duration { elapsed() }

    /// The reading `duration` from now.
    public func deadline(after duration: Duration) -> Duration { now + duration }

    /// Whether a deadline from ``deadline(after:)`` has passed.
    public func hasPassed(_ deadline: Duration) -> Bool { now >= deadline }

    /// Sleeps `duration`; throws `CancellationError` when the task is cancelled.
    public func sleep(for duration: Duration) async throws { try await sleeper(duration) }

    /// Sleeps `duration`, or less when the task is cancelled (a loop then checks for itself).
    public func pause(for duration: Duration) async { try? await sleeper(duration) }
}
