"""Keystroke echo round trip of an interactive shell: the time from typing one character to
seeing it echoed, median of N, for a command given after `--`. Used by shell-vs-ssh.sh."""
import os, pty, select, statistics, sys, time

def read_until(fd, needle, timeout):
    seen = b""
    deadline = time.monotonic() + timeout
    while needle not in seen:
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([fd], [], [], left)[0]:
            raise SystemExit(f"no {needle!r} within {timeout} s; saw {seen[-200:]!r}")
        seen += os.read(fd, 65536)
    return seen

runs = int(sys.argv[1])
command = sys.argv[sys.argv.index("--") + 1:]
pid, fd = pty.fork()
if pid == 0:
    os.execvp(command[0], command)
read_until(fd, b"# ", 30)
times = []
for _ in range(runs):
    start = time.monotonic()
    os.write(fd, b"x")
    read_until(fd, b"x", 10)
    times.append(time.monotonic() - start)
    os.write(fd, b"\x7f")  # erase it again
    read_until(fd, b"\x08", 10)
os.write(fd, b"exit\r")
print(f"{statistics.median(times) * 1000:.2f}")
