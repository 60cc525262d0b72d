#if canImport(Glibc)
    import Glibc
#endif

/// The process environment, read without Foundation.
public enum Environment {
    public static func get(_ name: String) -> String? {
        guard let value = getenv(name) else { return nil }
        return String(cString: value)
    }

    /// All variables of the running process.
    public static func all() -> [String: String] {
        var result: [String: String] = [:]
        var pointer = environ
        while let entry = pointer.pointee {
            let string = String(cString: entry)
            if let equals = string.firstIndex(of: "=") {
                result[String(string[..<equals])] = String(string[string.index(after: equals)...])
            }
            pointer += 1
        }
        return result
    }

    /// The user running this process: the name in its passwd entry, else `$USER`, else its uid.
    public static var userName: String {
        if let entry = getpwuid(getuid()), let name = entry.pointee.pw_name { return String(cString: name) }
        if let user = get("USER"), !user.isEmpty { return user }
        return String(getuid())
    }

    /// The home directory: `$HOME`, else the one in this user's passwd entry, else `/`.
    public static var home: String {
        if let home = get("HOME"), !home.isEmpty { return home }
        return passwdHome ?? "/"
    }

    /// The home directory in this user's passwd entry (what ssh reads `~/.ssh` from).
    public static var passwdHome: String? {
        guard let entry = getpwuid(getuid()), let directory = entry.pointee.pw_dir, directory.pointee != 0 else { return nil }
        return String(cString: directory)
    }

    /// The login shell in this user's passwd entry when it can run here, else bash, else sh.
    public static var loginShell: String {
        if let entry = getpwuid(getuid()), let shell = entry.pointee.pw_shell, shell.pointee != 0 {
            let path = String(cString: shell)
            if access(path, X_OK) == 0, !path.hasSuffix("/nologin"), !path.hasSuffix("/false") { return path }
        }
        return access("/bin/bash", X_OK) == 0 ? "/bin/bash" : "/bin/sh"
    }
}
