#if canImport(Glibc)
    import Glibc
#endif

/// Facts about the running binary.
public enum SelfExecutable {
    /// The absolute path of the running executable, from `/proc/self/exe`.
    public static func path() throws(SystemError) -> String {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let count = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard count > 0 else { throw SystemError(errno: errno, "cannot read /proc/self/exe (is /proc mounted?)") }
        return String(decoding: buffer.prefix(count).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The machine architecture as `uname -m` prints it.
    public static var machine: String {
        var name = utsname()
        uname(&name)
        return withUnsafeBytes(of: &name.machine) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
    }

    /// The kernel name as `uname -s` prints it, lowercased (`linux`).
    public static var operatingSystem: String {
        var name = utsname()
        uname(&name)
        return withUnsafeBytes(of: &name.sysname) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }.lowercased()
    }
}
