import Foundation
import SwiftletController
import SwiftletPOSIX
import Testing

/// `swiftlet shell` under a real terminal: tmux runs it, `send-keys` types, `capture-pane` reads
/// what the terminal shows.
@Suite struct ShellTests {
    let cli = CommandLineTests()

    /// A tmux server of its own running `command` in a 100x30 window.
    struct Pane {
        let socket = "swiftlet-test-\(UUID().uuidString.prefix(8))"

        func start(_ command: String) async throws {
            // Started detached, with no descriptor of ours: the server tmux forks keeps what it
            // inherited, and a pipe of ours it held would never end.
            _ = try ProcessSpawner.spawnDetached(
                ["/usr/bin/tmux", "-L", socket, "new-session", "-d", "-x", "100", "-y", "30", command],
                environment: ProcessInfo.processInfo.environment,
                logFile: "/dev/null"
            )
            for _ in 0..<100 where try await TestSupport.shell("tmux -L \(socket) has-session").code != 0 {
                try await Task.sleep(for: .milliseconds(50))
            }
        }

        func type(_ keys: String...) async throws {
            try await TestSupport.shell("tmux -L \(socket) send-keys " + keys.map(ShellQuoting.quote).joined(separator: " "))
        }

        func resize(columns: Int, rows: Int) async throws {
            try await TestSupport.shell("tmux -L \(socket) resize-window -x \(columns) -y \(rows)")
        }

        var screen: String {
            get async throws { try await TestSupport.shell("tmux -L \(socket) capture-pane -p -J").output }
        }

        /// Waits until the screen shows `text`; returns the screen.
        @discardableResult
        func waitFor(_ text: String, patience: Duration = .seconds(30)) async throws -> String {
            let (shown, screen) = try await shows(text, within: patience)
            if !shown { Issue.record("the terminal never showed '\(text)'; it shows:\n\(screen)") }
            return screen
        }

        /// Whether the screen shows `text` within `patience`, and the screen last seen.
        func shows(_ text: String, within patience: Duration) async throws -> (Bool, String) {
            let deadline = ContinuousClock.now + patience
            var screen = ""
            while ContinuousClock.now < deadline {
                screen = try await self.screen
                if screen.contains(text) { return (true, screen) }
                try await Task.sleep(for: .milliseconds(100))
            }
            return (false, screen)
        }

        /// The window resized is seen by the remote terminal, and Ctrl-C stops the foreground
        /// command (a `sleep` of `seconds`), not the shell.
        func followsResizesAndCtrlC(sleeping seconds: String) async throws {
            try await resize(columns: 90, rows: 25)
            // The new size may reach the remote terminal after keys typed after it (podman's
            // exec carries it apart from them): asked again until it shows.
            var resized = (false, "")
            for _ in 0..<10 where !resized.0 {
                try await type("stty size", "Enter")
                resized = try await shows("25 90", within: .seconds(3))
            }
            #expect(resized.0, "the terminal never showed '25 90'; it shows:\n\(resized.1)")
            try await type("sleep \(seconds); echo after-sleep", "Enter")
            try await TestSupport.waitForProcesses(matching: "^sleep \(seconds)$", count: 1)
            try await type("C-c")
            try await type("echo still-here", "Enter")
            // The output line, not the typed one.
            let interrupted = try await waitFor("\nstill-here\n")
            #expect(!interrupted.contains("\nafter-sleep\n"), "\(interrupted)")
            #expect(try await TestSupport.processesLeft(matching: "^sleep \(seconds)$") == 0)
        }

        func stop() async {
            _ = try? await TestSupport.shell("tmux -L \(socket) kill-server")
        }
    }

    func launchedCluster(_ name: String) async throws -> SwiftletHome {
        let home = try TestSupport.makeHome()
        let task = try cli.writeTask("envs:\n  MODEL: llama\nsecrets:\n  TOKEN: hidden-value\nrun: echo up\n", home: home)
        let launch = try await cli.swiftlet(["launch", task, "-c", name], home: home)
        #expect(launch.code == 0, "\(launch.stderr)")
        return home
    }

    func shellCommand(_ arguments: String, home: SwiftletHome) -> String {
        "SWIFTLET_HOME='\(home.path)' SWIFTLET_AGENT_BINARY='\(TestSupport.agentPath)' '\(TestSupport.controllerPath)' shell \(arguments)"
    }

    @Test func anInteractiveShellBehavesAsOverSSH() async throws {
        let home = try await launchedCluster("term")
        let pane = Pane()
        defer { Task { await pane.stop() } }
        // After the shell: its exit code, and whether this terminal is back in canonical mode.
        try await pane.start(
            shellCommand("term", home: home)
                + "; echo \"exit=$?\"; stty -a | grep -o -- '-\\?icanon' | head -1; echo checked; sleep 60"
        )
        try await pane.type("echo \"rank=$SKYPILOT_NODE_RANK in $(pwd) on $(tty)\"; stty size", "Enter")
        let first = try await pane.waitFor("30 100")
        #expect(first.contains("rank=0 in \(home.localNode(cluster: "term", index: 0))/sky_workdir on /dev/pts/"), "\(first)")
        let (firstSleep, second) = ("81.\(Int.random(in: 100...999))", "82.\(Int.random(in: 100...999))")
        try await pane.followsResizesAndCtrlC(sleeping: firstSleep)
        // Ctrl-Z stops it, and the shell's job control has it.
        try await pane.type("sleep \(second)", "Enter")
        try await TestSupport.waitForProcesses(matching: "^sleep \(second)$", count: 1)
        try await pane.type("C-z")
        try await pane.waitFor("Stopped")
        // Brought back and stopped for good with Ctrl-C: no stopped job is left to keep the shell.
        try await pane.type("fg", "Enter")
        try await pane.waitFor("fg\nsleep \(second)\n")
        try await pane.type("C-c")
        try await pane.type("echo \"fg=$?\"", "Enter")
        try await pane.waitFor("fg=130")
        try await pane.type("exit 7", "Enter")
        let after = try await pane.waitFor("checked\n")
        #expect(after.contains("exit=7\nicanon\nchecked"), "the terminal was not restored: \(after)")
        #expect(try await TestSupport.processesLeft(matching: "^sleep (\(firstSleep)|\(second))$") == 0)
        _ = try await cli.swiftlet(["down", "term"], home: home)
    }

    /// On an SSH node the shell is on sshd's own terminal (`ssh -tt` through the cluster's
    /// ControlMaster, in place of `swiftlet`): a key crosses ssh, sshd and the shell, as with
    /// `ssh -tt`; the agent only prepared it (directory, environment), and no value of the
    /// environment is on any command line. A node that cannot prepare one gives the agent's.
    @Test(.enabled(if: Testbed.available))
    func onAnSSHNodeTheShellIsOnSshdsOwnTerminal() async throws {
        let home = try TestSupport.makeHome()
        // Host 5: host 6 is killed whole by a multi-node test, host 8's agent deleted by one.
        try Testbed.installPool("sshterm", hosts: [5], in: home)
        let model = "llama-\(Int.random(in: 10000...99999))"
        let task = try cli.writeTask("envs:\n  MODEL: \(model)\nsecrets:\n  TOKEN: hidden-value\nrun: echo up\n", home: home)
        let launch = try await cli.swiftlet(["launch", task, "-c", "sshterm", "--infra", "ssh/sshterm"], home: home)
        #expect(launch.code == 0, "\(launch.stderr)")
        // A node that cannot keep the prepared request still gives a shell, through the agent.
        let broken = "rm -rf ~/.swiftlet/run/terminals && touch ~/.swiftlet/run/terminals"
        #expect(try await cli.swiftlet(["exec", "sshterm", "--", broken], home: home).code == 0)
        let fallback = Pane()
        defer { Task { await fallback.stop() } }
        try await fallback.start(shellCommand("sshterm", home: home) + "; echo \"exit=$?\"; sleep 60")
        try await fallback.waitFor("sky_workdir# ")
        try await fallback.type("echo \"$MODEL from $(ps -o comm= -p $PPID)\"; exit 3", "Enter")
        let throughAgent = try await fallback.waitFor("exit=3")
        #expect(throughAgent.contains("\(model) from swiftlet-agent\n"), "\(throughAgent)")
        #expect(try await cli.swiftlet(["exec", "sshterm", "--", "rm ~/.swiftlet/run/terminals"], home: home).code == 0)

        let pane = Pane()
        defer { Task { await pane.stop() } }
        try await pane.start(
            shellCommand("sshterm", home: home)
                + "; echo \"exit=$?\"; stty -a | grep -o -- '-\\?icanon' | head -1; echo checked; sleep 60"
        )
        try await pane.waitFor("sky_workdir# ")
        try await pane.type(
            "echo \"$SKYPILOT_NODE_RANK $MODEL ${TOKEN:-no-secret} $(pwd) $(ps -o comm= -p $PPID)\"; "
                + "echo \"on-argv=$(ps -eo args | grep -c '[\(model.prefix(1))]\(model.dropFirst())')\"; stty size",
            "Enter"
        )
        let shown = try await pane.waitFor("30 100")
        #expect(shown.contains("0 \(model) no-secret /root/sky_workdir sshd\n"), "\(shown)")
        #expect(shown.contains("on-argv=0\n"), "\(shown)")
        try await pane.followsResizesAndCtrlC(sleeping: "83.\(Int.random(in: 100...999))")
        try await pane.type("exit 7", "Enter")
        let after = try await pane.waitFor("checked\n")
        #expect(after.contains("exit=7\nicanon\nchecked"), "the terminal was not restored: \(after)")
        _ = try await cli.swiftlet(["down", "sshterm"], home: home)
    }

    /// `ssh -t CLUSTER` through `swiftlet proxy`: a login shell on a terminal of its own, in the
    /// node's home as sshd would start it, the window size followed, the exit code returned.
    @Test func sshWithATerminalIsAnInteractiveShell() async throws {
        let home = try await launchedCluster("tty")
        let pane = Pane()
        defer { Task { await pane.stop() } }
        try await pane.start(
            "SWIFTLET_HOME='\(home.path)' SWIFTLET_AGENT_BINARY='\(TestSupport.agentPath)' SWIFTLET_SSH_CONFIG='\(home.path)/user-ssh-config' "
                + "ssh -F '\(home.path)/user-ssh-config' -t tty; echo \"exit=$?\"; sleep 60"
        )
        try await pane.type("echo \"in-$SKYPILOT_NODE_RANK-$MODEL $(pwd)\"; stty size", "Enter")
        let shown = try await pane.waitFor("30 100")
        #expect(shown.contains("in-0-llama \(home.localNode(cluster: "tty", index: 0))\n"), "\(shown)")
        try await pane.resize(columns: 90, rows: 25)
        try await pane.type("stty size", "Enter")
        try await pane.waitFor("25 90")
        try await pane.type("exit 5", "Enter")
        try await pane.waitFor("exit=5")
        _ = try await cli.swiftlet(["down", "tty"], home: home)
    }

    @Test func ctrlDEndsTheShellWithZero() async throws {
        let home = try await launchedCluster("ctrld")
        let pane = Pane()
        defer { Task { await pane.stop() } }
        try await pane.start(shellCommand("ctrld", home: home) + "; echo \"exit=$?\"; sleep 60")
        try await pane.type("echo ready", "Enter")
        try await pane.waitFor("ready\n")
        try await pane.type("C-d")
        try await pane.waitFor("exit=0")
        _ = try await cli.swiftlet(["down", "ctrld"], home: home)
    }

    @Test func withoutATerminalACommandRunsAsSSHRunsIt() async throws {
        let home = try await launchedCluster("piped")
        let run = try await cli.swiftlet(
            [
                "shell", "piped", "--",
                "read line; echo \"got $line\"; echo to-err >&2; echo \"$SKYPILOT_NUM_NODES $MODEL ${TOKEN:-no-secret}\"; exit 3",
            ],
            home: home,
            stdin: "typed\n"
        )
        #expect(run.code == 3)
        // The task's envs, not its secrets.
        #expect(run.stdout == "got typed\n1 llama no-secret\n")
        #expect(run.stderr == "to-err\n")
        let missing = try await cli.swiftlet(["shell", "piped", "--node", "4", "--", "true"], home: home)
        #expect(missing.code == 1)
        #expect(missing.stderr.contains("cluster 'piped' has nodes 0 to 0; there is no node 4"), "\(missing.stderr)")
        _ = try await cli.swiftlet(["down", "piped"], home: home)
    }
}
