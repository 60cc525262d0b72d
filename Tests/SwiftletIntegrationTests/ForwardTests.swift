import Foundation
import SwiftletController
import Testing

/// `swiftlet forward` to servers bound to 127.0.0.1 inside a test-bed host's own network
/// namespace: nothing but the agent's connection reaches them.
@Suite struct ForwardTests {
    let cli = CommandLineTests()

    @Test(.enabled(if: Testbed.available))
    func aNodesLocalServerIsReachedConcurrentlyWholeAndWithHalfCloses() async throws {
        let home = try TestSupport.makeHome()
        // Host 5 (bashrc, workdir and cipher tests) has room for two servers beside them.
        try Testbed.installPool("fwd", hosts: [5], in: home)
        let remote = Int.random(in: 21000...29000)
        let local = remote + 10000
        let echo = """
            import socket
            s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(("127.0.0.1", \(remote + 1))); s.listen(64)
            while True:
                c, _ = s.accept(); n = 0
                while True:
                    d = c.recv(65536)
                    if not d: break
                    n += len(d)
                c.sendall(b"got %d bytes" % n); c.close()
            """
        let task = try cli.writeTask(
            """
            run: |
              mkdir -p ~/fwd-\(remote) && cd ~/fwd-\(remote)
              head -c 104857600 /dev/urandom > big.bin
              sha256sum big.bin
              cat > echo.py <<'PY'
            \(echo.split(separator: "\n").map { "  " + $0 }.joined(separator: "\n"))
              PY
              python3 echo.py &
              exec python3 -m http.server \(remote) --bind 127.0.0.1
            """,
            home: home
        )
        let launched = try await cli.swiftlet(["launch", task, "-c", "fwd", "--infra", "ssh/fwd", "-d"], home: home)
        #expect(launched.code == 0, "\(launched.stderr)")
        let (forwarder, _) = try cli.startSwiftlet(["forward", "fwd", "\(local):\(remote)", "\(local + 1):\(remote + 1)"], home: home)
        defer { forwarder.terminate() }
        // Up once the server answers through the forward.
        let url = "http://127.0.0.1:\(local)"
        for _ in 0..<300 where try await TestSupport.shell("curl -sf -o /dev/null \(url)/").code != 0 {
            try await Task.sleep(for: .milliseconds(100))
        }
        let concurrent = try await TestSupport.shell(
            // xargs waits with waitpid: a shell's `wait` hangs on the signal mask this process hands it.
            "seq 1 50 | xargs -P 50 -I{} curl -s -o /dev/null -w '%{http_code}\\n' \(url)/"
        )
        #expect(concurrent.output.split(separator: "\n") == Array(repeating: "200", count: 50), "\(concurrent.output)")
        // One after another, each connection's descriptors numbered as the last one's were: a
        // side that ended must not touch them.
        let sequential = try await TestSupport.shell("for i in $(seq 1 20); do curl -s -o /dev/null -w '%{http_code}\\n' \(url)/; done")
        #expect(sequential.output.split(separator: "\n") == Array(repeating: "200", count: 20), "\(sequential.output)")
        // The job's id: the host may keep an earlier cluster's jobs of this name.
        let job =
            launched.stderr.split(whereSeparator: { $0 == " " || $0 == "\n" }).drop { $0 != "Job" }.dropFirst().first.map(String.init)
            ?? "1"
        let logs = try await cli.swiftlet(["logs", "fwd", job, "--no-follow"], home: home)
        let served = logs.stdout.split(separator: "\n").first { $0.hasSuffix("big.bin") }?.split(separator: " ").first { $0.count == 64 }
        let downloaded = try await TestSupport.shell("curl -s \(url)/big.bin | sha256sum | cut -d' ' -f1").output
        #expect(served.map { String($0) } == downloaded.trimmingCharacters(in: .whitespacesAndNewlines), "\(logs.stdout)")
        // A client that half-closes after sending still gets the server's answer.
        let halfClose = try await TestSupport.shell(
            """
            python3 -c 'import socket
            c = socket.create_connection(("127.0.0.1", \(local + 1))); c.sendall(b"x" * 1048576); c.shutdown(socket.SHUT_WR)
            print(c.recv(100).decode())'
            """
        )
        #expect(halfClose.output == "got 1048576 bytes\n", "\(halfClose.output)")
        _ = try await cli.swiftlet(["down", "fwd"], home: home)
        // `down` ends the forwarding, though the host's agent stays for other clusters.
        #expect(try await TestSupport.eventually(within: .seconds(30)) { !forwarder.isRunning }, "forward outlived its cluster")
        if !forwarder.isRunning { #expect(forwarder.terminationStatus == 0) }
    }

    @Test func aMappingThatDoesNotParseIsNamed() async throws {
        let home = try TestSupport.makeHome()
        let run = try await cli.swiftlet(["forward", "nothing", "8080"], home: home)
        #expect(run.code == 1)
        #expect(run.stderr.contains("'8080' is not LOCAL:REMOTE or LOCAL:HOST:REMOTE"), "\(run.stderr)")
    }
}
