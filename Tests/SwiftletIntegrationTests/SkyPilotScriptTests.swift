import Foundation
import Testing

/// A SkyPilot user's script, run unchanged but for the program's name (`sky` is `swiftlet`
/// here): every flag and form of the SkyPilot CLI that Swiftlet takes, with real task files,
/// and the exit codes and table columns SkyPilot documents.
@Suite struct SkyPilotScriptTests {
    @Test func aSkyPilotScriptRunsUnchanged() async throws {
        let home = try TestSupport.makeHome()
        let work = home.path + "/project"
        let script = #"""
            set -u
            sky() { "$SWIFTLET" "$@"; }
            check() { # NAME EXPECTED ACTUAL
                if [ "$2" != "$3" ]; then echo "FAIL $1: expected $2, got $3"; else echo "ok $1"; fi
            }
            mkdir -p "$WORK/code" && cd "$WORK"
            echo 'print("trained")' > code/train.py
            printf 'MODEL=llama\nexport EPOCHS=3\n' > vars.env
            printf 'HF_TOKEN=hf-secret\n' > secrets.env
            cat > task.yaml <<'YAML'
            name: train
            workdir: code
            resources:
              cpus: 1
              memory: 1+
            envs:
              MODEL: null
            setup: echo setting-up
            run: |
              python3 train.py
              echo "$MODEL $EPOCHS ${HF_TOKEN:+has-token} ${LR:-} rank=$SKYPILOT_NODE_RANK"
            YAML
            sky launch -y --dryrun -c dev task.yaml --env-file vars.env >/dev/null 2>&1; check dryrun 0 $?
            sky status 2>/dev/null | grep -q dev; check dryrun-made-nothing 1 $?
            sky launch -y -c dev task.yaml --env-file vars.env --secret-file secrets.env --env LR=1e-3 -i 30 --down > launch.out 2>&1
            check launch 0 $?
            grep -q '^(train, pid=[0-9]*) llama 3 has-token 1e-3 rank=0$' launch.out; check launch-output 0 $?
            grep -q '^(setup pid=[0-9]*) setting-up$' launch.out; check setup-output 0 $?
            LR=2e-3 sky exec dev --env LR -n again python3 train.py > exec.out 2>&1; check exec 0 $?
            grep -q ') trained$' exec.out; check exec-output 0 $?
            sky exec dev -d sleep 300 >/dev/null 2>&1; check exec-detached 0 $?
            sky exec dev 'exit 7' >/dev/null 2>&1; check failed-job 100 $?
            sky launch -c dev --no-setup --workdir code 'python3 train.py' > nosetup.out 2>&1; check no-setup 0 $?
            grep -q setting-up nosetup.out; check no-setup-ran-no-setup 1 $?
            sky queue dev | head -1 | tr -s ' ' > queue.head
            check queue-columns "ID NAME SUBMITTED STARTED DURATION RESOURCES STATUS LOG EXIT CODES" "$(cat queue.head | sed 's/ $//')"
            sky status --refresh | head -1 | tr -s ' ' > status.head
            check status-columns "NAME INFRA RESOURCES STATUS AUTOSTOP LAUNCHED LAST JOB" "$(cat status.head | sed 's/ $//')"
            sky status --json | grep -q '"to_down" : true'; check status-json 0 $?
            sky cancel -y dev >/dev/null 2>&1; check cancel-newest 0 $?
            sky logs dev 3 >/dev/null 2>&1; check logs-cancelled 103 $?
            sky logs dev 2 >/dev/null 2>&1; check logs-succeeded 0 $?
            sky logs dev 99 >/dev/null 2>&1; check logs-missing 102 $?
            sky autostop -y dev -i 10 >/dev/null 2>&1; check autostop 0 $?
            sky launch --bogus-flag >/dev/null 2>&1; check usage-error 2 $?
            sky cancel -a -y dev >/dev/null 2>&1; check cancel-all 0 $?
            sky down -y dev >/dev/null 2>&1; check down 0 $?
            sky status | grep -q 'No clusters'; check gone 0 $?
            """#
        let run = try await TestSupport.shell(
            script,
            environment: [
                "SWIFTLET": TestSupport.controllerPath, "SWIFTLET_HOME": home.path, "SWIFTLET_AGENT_BINARY": TestSupport.agentPath,
                "WORK": work, "SWIFTLET_KEEPALIVE": "20",
            ]
        )
        let failures = run.output.split(separator: "\n").filter { $0.hasPrefix("FAIL") }
        #expect(failures.isEmpty, "\(run.output)")
        #expect(run.output.split(separator: "\n").filter { $0.hasPrefix("ok ") }.count == 23, "\(run.output)")
    }
}
