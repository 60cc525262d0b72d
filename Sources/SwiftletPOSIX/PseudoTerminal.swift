#if canImport(Glibc)
    import Glibc
#endif

/// A pseudo-terminal: the agent's end (the master) and the path of the terminal a shell gets as
/// its controlling terminal; and the window size and raw mode of a terminal, for the
/// controller's side of an interactive shell.
public enum PseudoTerminal {
    public struct WindowSize: Sendable, Equatable {
        public var rows: UInt16
        public var columns: UInt16

        public init(rows: UInt16, columns: UInt16) {
            self.rows = rows
            self.columns = columns
        }
    }

    /// Opens a new pair sized `size`: the master (close-on-exec, not our controlling terminal)
    /// and the terminal's path, for ``ProcessSpawner/spawnOnTerminal(_:environment:workingDirectory:terminal:)``.
    public static func open(size: WindowSize) throws(SystemError) -> (master: Int32, terminal: String) {
        let master = posixOpenPT(O_RDWR | O_NOCTTY | O_CLOEXEC)
        guard master >= 0 else { throw SystemError(errno: errno, "cannot open a pseudo-terminal") }
        var name = [CChar](repeating: 0, count: 128)
        guard grantPT(master) == 0, unlockPT(master) == 0, ptsNameR(master, &name, name.count) == 0 else {
            let code = errno
            close(master)
            throw SystemError(errno: code, "cannot set up a pseudo-terminal")
        }
        setWindowSize(master, size)
        let terminal = name.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        return (master, terminal)
    }

    /// Sets the window size of the terminal behind `fd`; the kernel tells its foreground
    /// process group (SIGWINCH).
    public static func setWindowSize(_ fd: Int32, _ size: WindowSize) {
        var window = winsize(ws_row: size.rows, ws_col: size.columns, ws_xpixel: 0, ws_ypixel: 0)
        _ = ioctl(fd, UInt(TIOCSWINSZ), &window)
    }

    /// The window size of the terminal behind `fd`; nil when it is no terminal.
    public static func windowSize(_ fd: Int32) -> WindowSize? {
        var window = winsize()
        guard ioctl(fd, UInt(TIOCGWINSZ), &window) == 0, window.ws_row > 0, window.ws_col > 0 else { return nil }
        return WindowSize(rows: window.ws_row, columns: window.ws_col)
    }

    /// Puts the terminal behind `fd` in raw mode (every byte as typed, no echo, no signals from
    /// keys: Ctrl-C goes to the remote shell as a byte); returns the mode to restore, nil when
    /// `fd` is no terminal.
    public static func makeRaw(_ fd: Int32) -> termios? {
        var saved = termios()
        guard tcgetattr(fd, &saved) == 0 else { return nil }
        var raw = saved
        cfmakeraw(&raw)
        guard tcsetattr(fd, TCSANOW, &raw) == 0 else { return nil }
        return saved
    }

    /// Puts back a mode ``makeRaw(_:)`` returned.
    public static func restore(_ fd: Int32, _ mode: termios) {
        var mode = mode
        _ = tcsetattr(fd, TCSANOW, &mode)
    }
}

@_silgen_name("posix_openpt")
private func posixOpenPT(_ flags: Int32) -> Int32

@_silgen_name("grantpt")
private func grantPT(_ fd: Int32) -> Int32

@_silgen_name("unlockpt")
private func unlockPT(_ fd: Int32) -> Int32

@_silgen_name("ptsname_r")
private func ptsNameR(_ fd: Int32, _ buffer: UnsafeMutablePointer<CChar>, _ length: Int) -> Int32
