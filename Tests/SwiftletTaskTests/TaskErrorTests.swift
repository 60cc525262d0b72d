import Testing

@testable import SwiftletTask

/// What a user sees for each kind of mistake: file, line, column, the line itself, and a hint.
@Suite struct TaskErrorTests {
    func error(_ yaml: String, env: [String: String] = [:]) -> String {
        do {
            _ = try TaskLoader.parse(yaml, file: "train.yaml", envOverrides: env)
            return "accepted"
        } catch {
            return "\(error)"
        }
    }

    @Test func aMisspelledFieldPointsAtItAndSuggestsTheKey() {
        #expect(
            error("name: x\nresources:\n  acclerators: A100:8\n") == """
                train.yaml:3:3: unknown resources field 'acclerators'; did you mean 'accelerators'?
                      acclerators: A100:8
                      ^
                """
        )
        #expect(error("setpu: pip install torch\n").hasPrefix("train.yaml:1:1: unknown field 'setpu'; did you mean 'setup'?"))
    }

    @Test func aRenamedFieldNamesItsSuccessor() {
        #expect(
            error("resources:\n  spot_recovery: failover\n").hasPrefix(
                "train.yaml:2:3: unknown resources field 'spot_recovery'; did you mean 'job_recovery'?"
            )
        )
    }

    @Test func aNullEnvSaysHowToGiveIt() {
        #expect(
            error("envs:\n  HF_TOKEN:\nrun: echo\n").hasPrefix(
                "train.yaml:2:12: HF_TOKEN is null and must be given: add --env HF_TOKEN=VALUE"
            )
        )
        #expect(error("envs:\n  HF_TOKEN:\n", env: ["HF_TOKEN": "x"]) == "accepted")
    }

    @Test func yamlSyntaxErrorsHaveTheirPosition() {
        let message = error("run: |\n  echo hi\n envs: [\n")
        #expect(message.hasPrefix("train.yaml:3:"))
        #expect(message.contains("YAML syntax error"))
    }

    @Test func badValuesAreNamed() {
        #expect(error("num_nodes: two\n").hasPrefix("train.yaml:1:12: num_nodes must be a positive integer"))
        #expect(
            error("resources:\n  accelerators: A100:lots\n").hasPrefix(
                "train.yaml:2:17: accelerators: the count in 'A100:lots' must be a positive number"
            )
        )
        #expect(error("resources:\n  ports: 70000\n").hasPrefix("train.yaml:2:10: ports: '70000' is not a port"))
        #expect(error("- run: echo\n").hasPrefix("train.yaml:1:1: a task must be a mapping of fields"))
    }

    @Test func valuesBecomeStringsAsInPython() throws {
        let task = try TaskLoader.parse("envs:\n  A: 8\n  B: true\n  C: 0.10\n  D: 1_000\n  E: '007'\n  F: off\n", file: "t.yaml")
        #expect(task.envs.map(\.value) == ["8", "True", "0.1", "1000", "007", "False"])
    }

    @Test func fieldsSwiftletDoesNotActOnAreListed() throws {
        let task = try TaskLoader.parse(
            "service:\n  replicas: 2\nresources:\n  use_spot: true\n  disk_size: 100\n  cpus: 4+\nrun: echo\n",
            file: "t.yaml"
        )
        #expect(task.ignoredFields.sorted() == ["resources.disk_size", "resources.use_spot", "service"])
    }
}

extension TaskErrorTests {
    @Test func aFileMountGivenAsAListIsAnErrorNotIgnored() throws {
        let text = "file_mounts:\n  /data:\n    - ./a\n    - ./b\nrun: ls /data\n"
        #expect {
            _ = try TaskLoader.parse(text, file: "mounts.yaml")
        } throws: { error in
            "\(error)".hasPrefix("mounts.yaml:3:5: file_mounts./data must be a path or a storage mapping, not a list")
        }
    }
}
