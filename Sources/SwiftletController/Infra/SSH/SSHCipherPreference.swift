import SwiftletPOSIX

#if canImport(Glibc)
    import Glibc
#endif

/// The ciphers Swiftlet asks ssh to prefer for its agent transport.
///
/// ssh's default order puts ChaCha20-Poly1305 first. That is the better cipher on CPUs without
/// AES instructions. On CPUs with them (x86-64 since 2010, ARMv8 with the crypto extension),
/// AES-GCM costs a fraction of it per byte. Every byte a job prints is encrypted by sshd and
/// decrypted by ssh on its way to the terminal, so the cipher decides much of a stream's cost.
/// On such a CPU, with no `Ciphers` in the user's ssh configuration, the transport offers
/// ssh's own default set, AES-GCM first. The set is unchanged, so a server that refuses AES-GCM
/// still agrees on another. If the configuration names ciphers anywhere, it is left alone.
enum SSHCipherPreference {
    /// ssh's default cipher set, AES-GCM first.
    static let aesFirst =
        "aes128-gcm@openssh.com,aes256-gcm@openssh.com,chacha20-poly1305@openssh.com,aes128-ctr,aes192-ctr,aes256-ctr"

    /// The options for this machine and user, decided once per process.
    static let options: [String] = {
        let configured =
            configurationNamesCiphers(at: sshHome + "/.ssh/config", relativeTo: sshHome + "/.ssh")
            || configurationNamesCiphers(at: "/etc/ssh/ssh_config", relativeTo: "/etc/ssh")
        // The first processor's entry is enough (all share the instruction set); the kernel
        // writes the file as it is read, and all of it takes milliseconds on a large machine.
        let cpuinfo = FileSystem.contents(of: "/proc/cpuinfo", limit: 16 * 1024)
        return options(cpuHasAES: cpuHasAES(cpuinfo: cpuinfo), configured: configured)
    }()

    /// The home ssh reads `~/.ssh/config` from: the user's passwd entry, not `$HOME`.
    private static var sshHome: String { Environment.passwdHome ?? Environment.home }

    /// `-o Ciphers=...` for ssh, or nothing.
    static func options(cpuHasAES: Bool, configured: Bool) -> [String] {
        cpuHasAES && !configured ? ["-o", "Ciphers=\(aesFirst)"] : []
    }

    /// Whether `/proc/cpuinfo` lists AES instructions (`aes` in x86's `flags`, arm64's `Features`).
    static func cpuHasAES(cpuinfo: String) -> Bool {
        cpuinfo.split(separator: "\n").contains { line in
            guard let colon = line.firstIndex(of: ":") else { return false }
            let key = line[..<colon].filter { $0 != " " && $0 != "\t" }
            guard key == "flags" || key == "Features" else { return false }
            return line[line.index(after: colon)...].split(separator: " ").contains("aes")
        }
    }

    /// The first word of each configuration line, lowercased, with its argument (`Include`
    /// patterns, say).
    static func directives(in text: String) -> [(keyword: String, argument: String)] {
        text.split(separator: "\n").compactMap { line in
            let trimmed = line.drop { $0 == " " || $0 == "\t" }
            guard !trimmed.isEmpty, !trimmed.hasPrefix("#") else { return nil }
            let keywordEnd = trimmed.firstIndex { $0 == " " || $0 == "\t" || $0 == "=" } ?? trimmed.endIndex
            let argument = trimmed[keywordEnd...].drop { $0 == " " || $0 == "\t" || $0 == "=" }
            return (trimmed[..<keywordEnd].lowercased(), String(argument))
        }
    }

    /// Whether the ssh configuration file at `path`, or a file it includes, sets `Ciphers` (in
    /// any `Host` or `Match` block: then the user chooses, for every host).
    static func configurationNamesCiphers(at path: String, relativeTo directory: String, depth: Int = 0) -> Bool {
        guard depth < 8 else { return false }
        for (keyword, argument) in directives(in: FileSystem.contents(of: path)) {
            if keyword == "ciphers" { return true }
            guard keyword == "include" else { continue }
            for pattern in argument.split(separator: " ") {
                for file in expand(String(pattern), relativeTo: directory)
                where configurationNamesCiphers(at: file, relativeTo: directory, depth: depth + 1) {
                    return true
                }
            }
        }
        return false
    }

    /// The files an `Include` pattern names, as ssh reads them: `~` is the home, and a relative
    /// pattern is relative to `~/.ssh` (user configuration) or `/etc/ssh` (system).
    private static func expand(_ pattern: String, relativeTo directory: String) -> [String] {
        let absolute =
            pattern.hasPrefix("~/")
            ? sshHome + pattern.dropFirst()
            : pattern.hasPrefix("/") ? pattern : "\(directory)/\(pattern)"
        var matches = glob_t()
        defer { globfree(&matches) }
        guard glob(absolute, 0, nil, &matches) == 0 else { return [] }
        return (0..<Int(matches.gl_pathc)).compactMap { index in matches.gl_pathv[index].map { String(cString: $0) } }
    }
}
