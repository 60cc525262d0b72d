import Dispatch

#if canImport(Glibc)
    import Glibc
#endif

/// Work that may block for long (an accept loop, a read of a pipe that may stay quiet) on a
/// thread of its own.
///
/// Not on Dispatch's global queues: on Linux they add a thread about once a second while all of
/// theirs are blocked, so two blocked blocks on a 2-core machine hold up every other block (the
/// child reaper's `SIGCHLD` handling among them) for a second, and a dozen for ten.
public enum BlockingThread {
    /// Runs `body` on a new detached thread.
    public static func start(_ body: @escaping @Sendable () -> Void) {
        let box = Unmanaged.passRetained(Box(body)).toOpaque()
        var thread = pthread_t()
        let created = pthread_create(
            &thread,
            nil,
            { argument in
                let box = Unmanaged<Box>.fromOpaque(argument!).takeRetainedValue()
                box.body()
                return nil
            },
            box
        )
        guard created == 0 else {
            // Out of threads: the work still has to happen, and the caller may wait for it.
            Unmanaged<Box>.fromOpaque(box).release()
            DispatchQueue.global().async(execute: body)
            return
        }
        pthread_detach(thread)
    }

    /// The value of `body`, computed on a thread of its own.
    public static func value<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            start { continuation.resume(returning: body()) }
        }
    }

    /// The value of `body`, or its error, computed on a thread of its own.
    public static func value<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            start { continuation.resume(with: Result { try body() }) }
        }
    }

    private final class Box: @unchecked Sendable {
        let body: @Sendable () -> Void
        init(_ body: @escaping @Sendable () -> Void) { self.body = body }
    }
}
