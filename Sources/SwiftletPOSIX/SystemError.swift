#if canImport(Glibc)
    import Glibc
#endif

/// A failed system call, with what was being done and the errno text.
public struct SystemError: Error, Hashable, Sendable, CustomStringConvertible {
    public var errno: Int32
    public var context: String

    public init(errno: Int32, _ context: String) {
        self.errno = errno
        self.context = context
    }

    public var description: String { "\(context): \(String(cString: strerror(errno)))" }
}
