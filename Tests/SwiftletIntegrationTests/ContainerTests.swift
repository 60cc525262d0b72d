import Foundation
import SwiftletController
import SwiftletPOSIX
import Testing

/// `resources.image_id: docker:IMAGE` with real parts: rootful podman, the real `docker` CLI on
/// podman's Docker-compatible API, and the distribution registry with TLS and a password.
/// `scripts/container-check.sh` prepares them (`scripts/container-testbed.sh`) and names them in
/// `$SWIFTLET_CONTAINER_TESTBED`; the agent inside is the static one (the images have no glibc),
/// `$SWIFTLET_STATIC_AGENT`. Without them the tests say so and do nothing.
@Suite struct ContainerTests {
    let cli = CommandLineTests()

    /// The test bed's `env` file.
    static let testbed: [String: String] = {
        guard let directory = ProcessInfo.processInfo.environment["SWIFTLET_CONTAINER_TESTBED"],
            let text = try? String(contentsOfFile: directory + "/env", encoding: .utf8)
        else { return [:] }
        var values: [String: String] = [:]
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: "=", maxSplits: 1).map(String.init)
            if parts.count == 2 { values[parts[0]] = parts[1] }
        }
        return values
    }()

    static let staticAgent = ProcessInfo.processInfo.environment["SWIFTLET_STATIC_AGENT"] ?? ""

    static var prepared: Bool {
        let ready = !testbed.isEmpty && FileManager.default.isExecutableFile(atPath: staticAgent)
        if !ready { print("SKIPPED containers: run scripts/container-check.sh (needs root, podman and the registry)") }
        return ready
    }

    static var registry: String { testbed["SWIFTLET_TEST_REGISTRY"] ?? "" }
    static var password: String {
        ((try? String(contentsOfFile: testbed["SWIFTLET_TEST_REGISTRY_PASSWORD_FILE"] ?? "", encoding: .utf8)) ?? "")
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The controller's environment for `runtime`: the static agent, the runtime chosen, and
    /// for docker the API socket podman serves.
    static func environment(_ runtime: ContainerRuntime, password: String? = nil) -> [String: String] {
        var environment = ["SWIFTLET_AGENT_BINARY": staticAgent, "SWIFTLET_CONTAINER_RUNTIME": runtime.rawValue]
        if runtime == .docker { environment["DOCKER_HOST"] = testbed["SWIFTLET_TEST_DOCKER_HOST"] }
        if let password { environment["SKYPILOT_DOCKER_PASSWORD"] = password }
        return environment
    }

    /// A task file outside every home (it may hold a password).
    func writeTask(_ text: String) throws -> String {
        let directory = NSTemporaryDirectory() + "swiftlet-container-tasks"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let path = directory + "/\(UUID().uuidString.prefix(8)).yaml"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// A task in `image` on the test registry, with its login's user and server (the password
    /// comes from the environment), and `rest` (setup, run).
    func loginTask(image: String, _ rest: String) throws -> String {
        try writeTask(
            """
            resources:
              image_id: docker:\(image)
            envs:
              SKYPILOT_DOCKER_USERNAME: swiftlet
              SKYPILOT_DOCKER_SERVER: \(Self.registry)

            """ + rest
        )
    }

    func launch(
        _ task: String,
        cluster: String,
        home: SwiftletHome,
        runtime: ContainerRuntime,
        extra: [String] = [],
        password: String? = nil
    ) async throws -> CommandLineTests.Run {
        try await cli.swiftlet(
            ["launch", task, "-c", cluster] + extra,
            home: home,
            environment: Self.environment(runtime, password: password)
        )
    }

    /// The containers Swiftlet made for `cluster` that are still there.
    func containers(of cluster: String) async throws -> [String] {
        let listed = try await TestSupport.shell(
            "podman ps -a --filter label=swiftlet.cluster=\(cluster) --format '{{.Names}}'"
        )
        return listed.output.split(separator: "\n").map(String.init)
    }

    @Test(.enabled(if: prepared), arguments: ContainerRuntime.allCases)
    func aTaskRunsInItsPrivateImageAndThePasswordGoesNowhere(_ runtime: ContainerRuntime) async throws {
        let home = try TestSupport.makeHome()
        let cluster = "private-\(runtime)"
        let task = try loginTask(
            image: "swiftlet/private:1",
            """
            setup: cat /image-marker > ~/setup-saw
            run: |
              echo "run: $(cat /image-marker)"
              echo "setup: $(cat ~/setup-saw)"
              echo "password: ${SKYPILOT_DOCKER_PASSWORD:-not given}"
            """
        )
        let password = Self.password
        // Every process's command line is read while the launch logs in and pulls.
        let watching = Locked(true)
        let seenInArgv = Task.detached { () -> [String] in
            var seen: [String] = []
            while watching.withLock({ $0 }) {
                for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] where Int(entry) != nil {
                    guard let data = FileManager.default.contents(atPath: "/proc/\(entry)/cmdline") else { continue }
                    let line = String(decoding: data.map { $0 == 0 ? 32 : $0 }, as: UTF8.self)
                    if line.contains(password) { seen.append(line) }
                }
                try? await Task.sleep(for: .milliseconds(5))
            }
            return seen
        }
        let run = try await launch(
            task,
            cluster: cluster,
            home: home,
            runtime: runtime,
            extra: ["--env", "SKYPILOT_DOCKER_PASSWORD"],
            password: password
        )
        watching.withLock { $0 = false }
        let seen = await seenInArgv.value.map { $0.replacingOccurrences(of: password, with: "<password>") }
        #expect(seen == [], "the password was on a command line: \(Set(seen))")
        #expect(run.code == 0, "\(run.stderr)")
        #expect(run.stdout.contains("run: busybox image") && run.stdout.contains("setup: busybox image"), "\(run.stdout)")
        #expect(run.stdout.contains("password: not given"), "the job saw the password, which it did not ask for as a secret")
        #expect(run.stderr.contains("node 0 (local): pulling \(Self.registry)/swiftlet/private:1"), "\(run.stderr)")
        #expect(!run.stdout.contains(password) && !run.stderr.contains(password))
        let made = try await containers(of: cluster)
        #expect(made.count == 1)
        // Nothing under the controller's home (local nodes' homes are in it) holds the password;
        // the runtime's credentials are private to the cluster's directory on the node.
        // (Read from the test bed's file: a password in grep's argv would show in the other
        // runtime's watch, which runs meanwhile.)
        let passwordFile = Self.testbed["SWIFTLET_TEST_REGISTRY_PASSWORD_FILE"] ?? ""
        let found = try await TestSupport.shell("grep -rlF -f '\(passwordFile)' '\(home.path)' || true")
        #expect(found.output.isEmpty, "the password is in \(found.output)")
        let credentials = try await TestSupport.shell(
            "find '\(home.path)' -path '*/.swiftlet/containers/*' -name '*.json' -printf '%m %p\\n'"
        )
        #expect(credentials.output.hasPrefix("600 "), "\(credentials.output)")
        // Nor do the job's records and logs inside the container.
        let inside = try await cli.swiftlet(
            ["exec", cluster, "--", "grep -rlF -f /dev/stdin ~/.swiftlet/jobs; echo \"grep said $?\""],
            home: home,
            stdin: password,
            environment: Self.environment(runtime)
        )
        // grep's 1: no file holds it.
        #expect(
            inside.stdout.hasSuffix("grep said 1\n") && inside.stdout.split(separator: "\n").count == 1,
            "\(inside.stdout) \(inside.stderr)"
        )
        // The agent came from the host's copy, mounted read-only: none was uploaded inside.
        let lent = try await cli.swiftlet(
            ["exec", cluster, "--", "ls ~/.swiftlet/agent 2>/dev/null | wc -l; ls /.swiftlet-agent"],
            home: home,
            environment: Self.environment(runtime)
        )
        let sha = try await TestSupport.shell("sha256sum '\(Self.staticAgent)' | cut -d' ' -f1").output
        let lines = lent.stdout.split(separator: "\n")
        #expect(
            lines.count == 2 && lines[0].hasSuffix(" 0") && lines[1].hasSuffix(" " + sha.trimmingCharacters(in: .whitespacesAndNewlines)),
            "\(lent.stdout)"
        )
        let down = try await cli.swiftlet(["down", cluster], home: home, environment: Self.environment(runtime))
        #expect(down.code == 0, "\(down.stderr)")
        #expect(try await containers(of: cluster) == [])
        let left = try await TestSupport.shell("find '\(home.path)' -path '*/.swiftlet/containers/*'")
        #expect(left.output.isEmpty, "credentials left after down: \(left.output)")
    }

    @Test(.enabled(if: prepared))
    func aWrongPasswordIsSaidPlainlyWithoutThePassword() async throws {
        let home = try TestSupport.makeHome()
        let wrong = "not-the-\(UUID().uuidString.prefix(8))-password"
        let task = try loginTask(image: "swiftlet/private:1", "run: echo should-not-run\n")
        let run = try await launch(
            task,
            cluster: "wrong",
            home: home,
            runtime: .podman,
            extra: ["--secret", "SKYPILOT_DOCKER_PASSWORD"],
            password: wrong
        )
        #expect(run.code != 0)
        #expect(
            run.stderr.contains("registry login to \(Self.registry) as swiftlet failed: the registry refused the username or password"),
            "\(run.stderr)"
        )
        #expect(!run.stderr.contains(wrong) && !run.stdout.contains("should-not-run"))
        let status = try await cli.swiftlet(["status"], home: home)
        #expect(!status.stdout.contains("wrong"), "a launch that never came up left a cluster: \(status.stdout)")
        #expect(try await containers(of: "wrong") == [])
    }

    @Test(.enabled(if: prepared), arguments: ContainerRuntime.allCases)
    func anyUserAnyEntrypointAndTheImagesEnvironment(_ runtime: ContainerRuntime) async throws {
        let home = try TestSupport.makeHome()
        // USER 1000 with no passwd entry and no home; a workdir synced into the container.
        let workdir = home.path + "/project"
        try FileManager.default.createDirectory(atPath: workdir, withIntermediateDirectories: true)
        try "synced\n".write(toFile: workdir + "/hello.txt", atomically: true, encoding: .utf8)
        let nohome = try writeTask(
            """
            workdir: \(workdir)
            resources:
              image_id: docker:localhost/swiftlet-test/nohome:1
            run: |
              echo "uid=$(id -u) in $(pwd): $(cat hello.txt)"
              touch ~/written && echo home-is-writable
            """
        )
        let user = try await launch(nohome, cluster: "nohome-\(runtime)", home: home, runtime: runtime)
        #expect(user.code == 0, "\(user.stderr)")
        #expect(user.stdout.contains("uid=1000 in /tmp/swiftlet-home/sky_workdir: synced"), "\(user.stdout)")
        #expect(user.stdout.contains("home-is-writable"), "\(user.stdout)")
        // An ENTRYPOINT that would fail, an ENV and a WORKDIR (where a task without a workdir starts).
        let entry = try writeTask(
            """
            resources:
              image_id: docker:localhost/swiftlet-test/entry:1
            run: |
              echo "greeting=$GREETING in $(pwd)"
              echo "shm-kib=$(df -k /dev/shm | awk 'NR == 2 {print $2}')"
              [ -e /entrypoint-ran ] && echo the-entrypoint-ran || echo the-entrypoint-did-not-run
            """
        )
        let entered = try await launch(entry, cluster: "entry-\(runtime)", home: home, runtime: runtime)
        #expect(entered.code == 0, "\(entered.stderr)")
        #expect(
            entered.stdout.contains("greeting=from-the-image in /srv/app") && entered.stdout.contains("the-entrypoint-did-not-run"),
            "\(entered.stdout)"
        )
        // /dev/shm is sized from the node's memory, not the runtime's 64 MiB.
        let shm = entered.stdout.split(separator: "\n").first { $0.contains("shm-kib=") }?.split(separator: "=").last
        #expect((shm.flatMap { Int($0) } ?? 0) > 65536, "\(entered.stdout)")
        for cluster in ["nohome-\(runtime)", "entry-\(runtime)"] {
            _ = try await cli.swiftlet(["down", cluster], home: home, environment: Self.environment(runtime))
            #expect(try await containers(of: cluster) == [])
        }
    }

    @Test(.enabled(if: prepared))
    func whatCannotWorkIsNamed() async throws {
        let home = try TestSupport.makeHome()
        let noShell = try writeTask("resources:\n  image_id: docker:localhost/swiftlet-test/nosh:1\nrun: echo hi\n")
        let shell = try await launch(noShell, cluster: "nosh", home: home, runtime: .podman)
        #expect(shell.code != 0)
        #expect(
            shell.stderr.contains("is not running") && shell.stderr.contains("the image localhost/swiftlet-test/nosh:1 has no /bin/sh"),
            "\(shell.stderr)"
        )
        #expect(try await containers(of: "nosh") == [])

        let missing = try loginTask(image: "swiftlet/not-there:1", "run: echo hi\n")
        let pull = try await launch(
            missing,
            cluster: "missing",
            home: home,
            runtime: .podman,
            extra: ["--secret", "SKYPILOT_DOCKER_PASSWORD"],
            password: Self.password
        )
        #expect(pull.code != 0)
        #expect(pull.stderr.contains("no image \(Self.registry)/swiftlet/not-there:1 in its registry"), "\(pull.stderr)")

        let busybox = try writeTask("resources:\n  image_id: docker:localhost/swiftlet-test/busybox:1\nrun: echo hi\n")
        var environment = Self.environment(.docker)
        environment["PATH"] = "/usr/bin:/bin"
        let noRuntime = try await cli.swiftlet(["launch", busybox, "-c", "noruntime"], home: home, environment: environment)
        #expect(noRuntime.code != 0)
        #expect(noRuntime.stderr.contains("docker is not installed on the node"), "\(noRuntime.stderr)")
    }

    /// A pull that fills the node's disk ends in a plain error naming it, and leaves no
    /// container: podman's storage is put on a 16 MB tmpfs for this launch (its own
    /// storage.conf, in the node's environment), and the image holds 40 MB.
    @Test(.enabled(if: prepared))
    func aPullThatFillsTheDiskIsSaidPlainly() async throws {
        let home = try TestSupport.makeHome()
        let scratch = NSTemporaryDirectory() + "swiftlet-full-pull-\(UInt32.random(in: 0...UInt32.max))"
        let image = "\(Self.registry)/swiftlet/fat:1"
        let prepare = """
            set -e
            mkdir -p '\(scratch)/root/bin' '\(scratch)/storage'
            cp /bin/busybox '\(scratch)/root/bin/busybox' && ln -s busybox '\(scratch)/root/bin/sh'
            head -c 40000000 /dev/urandom > '\(scratch)/root/filler'
            tar -C '\(scratch)/root' -c . | podman import -q - '\(image)' >/dev/null
            printf '%s' "$PASSWORD" | podman login --authfile '\(scratch)/auth.json' --username swiftlet --password-stdin '\(Self.registry)' >/dev/null
            podman push -q --authfile '\(scratch)/auth.json' '\(image)'
            podman rmi -f '\(image)' >/dev/null
            mount -t tmpfs -o size=16m swiftlet-full-pull '\(scratch)/storage'
            printf '[storage]\\ndriver = "vfs"\\ngraphroot = "%s/storage/graph"\\nrunroot = "%s/storage/run"\\n' '\(scratch)' '\(scratch)' > '\(scratch)/storage.conf'
            """
        let prepared = try await TestSupport.shell(prepare, environment: ["PASSWORD": Self.password])
        defer { _ = try? TestSupport.shellBlocking("umount -l '\(scratch)/storage'; rm -rf '\(scratch)'") }
        try #require(prepared.code == 0, "\(prepared.output)")
        let task = try loginTask(image: "swiftlet/fat:1", "run: echo never\n")
        var environment = Self.environment(.podman, password: Self.password)
        environment["CONTAINERS_STORAGE_CONF"] = scratch + "/storage.conf"
        let run = try await cli.swiftlet(
            ["launch", task, "-c", "fullpull", "--secret", "SKYPILOT_DOCKER_PASSWORD"],
            home: home,
            environment: environment
        )
        #expect(run.code != 0 && !run.stdout.contains("never"))
        #expect(run.stderr.contains("the node's disk is full: cannot pull \(image)"), "\(run.stderr)")
        #expect(!run.stderr.contains(Self.password))
        #expect(try await containers(of: "fullpull") == [])
        #expect(try await cli.swiftlet(["status"], home: home).stdout == "No clusters.\n")
    }

    /// ssh and scp into a container that has no sshd, no sftp-server and no bash.
    @Test(.enabled(if: prepared))
    func sshAndScpReachTheContainer() async throws {
        let home = try TestSupport.makeHome()
        let task = try writeTask("resources:\n  image_id: docker:localhost/swiftlet-test/busybox:1\nrun: echo up\n")
        let up = try await launch(task, cluster: "boxssh", home: home, runtime: .podman)
        #expect(up.code == 0, "\(up.stderr)")
        let config = home.path + "/user-ssh-config"
        try "sent through sftp\n".write(toFile: home.path + "/note", atomically: true, encoding: .utf8)
        let run = try await TestSupport.shell(
            "cd '\(home.path)' && timeout 60 scp -F '\(config)' note boxssh:/tmp/note && timeout 60 ssh -F '\(config)' boxssh 'cat /image-marker /tmp/note'",
            environment: Self.environment(.podman).merging([
                "SWIFTLET_HOME": home.path, "SWIFTLET_SSH_CONFIG": config,
            ]) { $1 }
        )
        #expect(run.code == 0 && run.output.contains("busybox image\nsent through sftp\n"), "\(run.output)")
        _ = try await cli.swiftlet(["down", "boxssh"], home: home, environment: Self.environment(.podman))
    }

    @Test(.enabled(if: prepared))
    func anotherImageOnTheClusterIsRefusedNamingBoth() async throws {
        let home = try TestSupport.makeHome()
        let first = try writeTask("resources:\n  image_id: docker:localhost/swiftlet-test/busybox:1\nrun: echo first\n")
        let second = try writeTask("resources:\n  image_id: docker:localhost/swiftlet-test/entry:1\nrun: echo second\n")
        let launched = try await launch(first, cluster: "images", home: home, runtime: .podman)
        #expect(launched.code == 0, "\(launched.stderr)")
        #expect(launched.stderr.contains("node 0 (local): container up ("), "\(launched.stderr)")
        let status = try await cli.swiftlet(["status", "images"], home: home, environment: Self.environment(.podman))
        #expect(
            status.stdout.contains("swiftlet-images-0-") && status.stdout.contains("(localhost/swiftlet-test/busybox:1)"),
            "\(status.stdout)"
        )
        // A shell goes into the container too.
        let shell = try await cli.swiftlet(
            ["shell", "images", "--", "cat /image-marker"],
            home: home,
            environment: Self.environment(.podman)
        )
        #expect(shell.code == 0 && shell.stdout == "busybox image\n", "\(shell.stdout) \(shell.stderr)")
        let again = try await launch(second, cluster: "images", home: home, runtime: .podman)
        #expect(again.code != 0)
        #expect(
            again.stderr.contains(
                "cluster 'images' runs the image localhost/swiftlet-test/busybox:1; the task asks for localhost/swiftlet-test/entry:1"
            ),
            "\(again.stderr)"
        )
        #expect(!again.stdout.contains("second"))
        _ = try await cli.swiftlet(["down", "images"], home: home, environment: Self.environment(.podman))
    }

    @Test(.enabled(if: prepared))
    func aJobInAContainerOutlivesItsControllerAndCancelAndDownLeaveNothing() async throws {
        let home = try TestSupport.makeHome()
        let marker = "71.\(Int.random(in: 100...999))"
        let task = try writeTask(
            "resources:\n  image_id: docker:localhost/swiftlet-test/busybox:1\nrun: |\n  echo started\n  (sleep \(marker); echo late) &\n  sleep \(marker)\n  wait\n"
        )
        let (controller, _) = try cli.startSwiftlet(["launch", task, "-c", "outlive"], home: home, environment: Self.environment(.podman))
        try await TestSupport.waitForProcesses(matching: "^sleep \(marker)$", count: 2)
        kill(controller.processIdentifier, SIGKILL)
        controller.waitUntilExit()
        try await Task.sleep(for: .seconds(1))
        #expect(
            try await TestSupport.processesLeft(matching: "^sleep \(marker)$", patience: .zero) == 2,
            "the job died with its controller"
        )
        let queue = try await cli.swiftlet(["queue", "outlive"], home: home, environment: Self.environment(.podman))
        #expect(queue.stdout.contains("RUNNING"), "\(queue.stdout)")
        let cancel = try await cli.swiftlet(["cancel", "outlive", "1"], home: home, environment: Self.environment(.podman))
        #expect(cancel.stderr == "Job 1: CANCELLED.\n")
        #expect(try await TestSupport.processesLeft(matching: "^sleep \(marker)$") == 0, "cancel left part of the job's tree")
        let logs = try await cli.swiftlet(["logs", "outlive", "1"], home: home, environment: Self.environment(.podman))
        #expect(logs.stdout.contains("started"), "\(logs.stdout) \(logs.stderr)")
        let down = try await cli.swiftlet(["down", "outlive"], home: home, environment: Self.environment(.podman))
        #expect(down.code == 0, "\(down.stderr)")
        #expect(try await containers(of: "outlive") == [])
    }

    @Test(.enabled(if: prepared && Testbed.available))
    func twoHostsEachRunTheirContainerAndTheRanksSeeEachOther() async throws {
        let home = try TestSupport.makeHome()
        try Testbed.installPool("boxes", hosts: [1, 2], in: home)
        let task = try writeTask(
            """
            num_nodes: 2
            resources:
              image_id: docker:localhost/swiftlet-test/busybox:1
            run: |
              echo "rank $SKYPILOT_NODE_RANK of $SKYPILOT_NUM_NODES: $(cat /image-marker); ips $(echo $SKYPILOT_NODE_IPS)"
            """
        )
        let run = try await launch(task, cluster: "boxes", home: home, runtime: .podman, extra: ["--infra", "ssh/boxes"])
        #expect(run.code == 0, "\(run.stderr)")
        let ips = "ips \(Testbed.host(1).address) \(Testbed.host(2).address)"
        #expect(run.stdout.contains("rank 0 of 2: busybox image; \(ips)"), "\(run.stdout)")
        #expect(run.stdout.contains("rank 1 of 2: busybox image; \(ips)"), "\(run.stdout)")
        #expect(try await containers(of: "boxes").count == 2)
        // An interactive shell is in node 1's container, on a terminal of its own there (`ssh
        // -tt` to the host, `podman exec --tty` in it): the window size followed, Ctrl-C the
        // foreground command's, the exit code returned.
        let pane = ShellTests.Pane()
        defer { Task { await pane.stop() } }
        let environment = Self.environment(.podman).merging(["SWIFTLET_HOME": home.path]) { $1 }
        try await pane.start(
            environment.map { "\($0.key)='\($0.value)'" }.joined(separator: " ")
                + " '\(TestSupport.controllerPath)' shell boxes --node 1; echo \"exit=$?\"; sleep 60"
        )
        // Busybox's prompt first: what is typed then is the shell's, not a line it may discard.
        try await pane.waitFor("sky_workdir # ")
        try await pane.type("echo \"in-$(cat /image-marker)-$SKYPILOT_NODE_RANK $(pwd) $(tty)\"; stty size", "Enter")
        let shown = try await pane.waitFor("30 100")
        #expect(shown.contains("in-busybox image-1 /root/sky_workdir /dev/pts/"), "\(shown)")
        try await pane.followsResizesAndCtrlC(sleeping: "84.\(Int.random(in: 100...999))")
        try await pane.type("exit 7", "Enter")
        try await pane.waitFor("exit=7")
        _ = try await cli.swiftlet(["down", "boxes"], home: home, environment: Self.environment(.podman))
        #expect(try await containers(of: "boxes") == [])
    }
}
