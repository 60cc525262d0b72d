/// The `/bin/sh` snippets a container's host runs (through the host's own transport, with no
/// agent): the bring-up (find the runtime, keep the agent, log in, pull, start or reuse the
/// container) and the removal. The command lines are ``ContainerRuntime``'s, rendered for both
/// runtimes; the snippet only chooses and reports, in lines `swiftlet-container VERB [TEXT]`
/// that ``ContainerBringUp`` reads.
///
/// Its stdin carries, in this order and only after it said `agent needed|present|skip`: the
/// agent's bytes (when needed), then the registry password (when there is a login) up to the
/// end of input, which only `login --password-stdin` reads.
enum ContainerScript {
    static let linePrefix = "swiftlet-container "

    /// The agent the host keeps for its containers, keyed by its hash like a node's own.
    struct Agent {
        var sha256: String
        var size: Int
        /// `uname -m` of the hosts it runs on.
        var architecture: String
    }

    /// Brings `container` up from `image`.
    static func bringUp(
        runtime chosen: ContainerRuntime?,
        container: String,
        cluster: String,
        image: ContainerImage,
        login: RegistryLogin?,
        agent: Agent?,
        gpus: String = ""
    ) -> String {
        var script = """
            say() { printf '\(linePrefix)%s\\n' "$*"; }
            # The runtime's own last words, on one line (never the password: it is only on stdin).
            fail() { say "error $1 $(tail -n 3 err 2>/dev/null | tr '\\n' ' ')"; exit 1; }
            runtime=\(chosen?.rawValue ?? "")
            if [ -z "$runtime" ]; then
                for candidate in podman docker; do
                    if command -v "$candidate" >/dev/null 2>&1; then runtime=$candidate; break; fi
                done
                [ -n "$runtime" ] || { say "error runtime neither podman nor docker is installed on the node"; exit 1; }
            elif ! command -v "$runtime" >/dev/null 2>&1; then
                say "error runtime $runtime is not installed on the node"; exit 1
            fi
            say "runtime $runtime"
            umask 077
            dir="$HOME/.swiftlet/containers/\(container)"
            mkdir -p "$dir" && chmod 700 "$HOME/.swiftlet" "$HOME/.swiftlet/containers" "$dir" && cd "$dir" \\
                || { say "error state cannot create $dir"; exit 1; }

            """
        for runtime in ContainerRuntime.allCases {
            script += "if [ \"$runtime\" = \(runtime.rawValue) ]; then\n"
            if let login { script += "    do_login() { \(command(runtime.login(login))); }\n" }
            script += """
                    do_pull() { \(command(runtime.pull(image, authenticated: login != nil))); }
                    image_workdir() { \(command(runtime.workingDirectory(of: image))); }
                    describe() { \(command(runtime.describe(container: container))); }
                    do_run() { \(command(runtime.run(image, name: container, cluster: cluster), extra: true)); }
                    do_start() { \(command(runtime.start(container: container))); }
                    do_remove() { \(command(runtime.remove(container: container))); }
                    gpu_holders() { \(command(runtime.gpuHolders())); }
                    gpus_held() { \(command(runtime.gpusHeld())) "$@"; }
                fi

                """
        }
        script += """
            # Whether the host has the image (and its WORKDIR) is asked beside the container:
            # two runtime processes at once, not one after the other.
            \(login == nil ? "image_workdir >image-workdir 2>/dev/null </dev/null & inspecting=$!" : "")
            existing=$(describe 2>/dev/null) || existing=
            # A new container gets the host's copy of the agent, kept as the bootstrap keeps a
            # node's: nothing is uploaded into it or checked inside.
            sha=\(agent?.sha256 ?? "")
            lent="$HOME/.swiftlet/agent/$sha"
            if [ -n "$existing" ] || [ -z "$sha" ] || [ "$(uname -m)" != \(ShellQuoting.quote(agent?.architecture ?? "")) ]; then
                say "agent skip"
                lent=
            elif [ -x "$lent/swiftlet-agent" ]; then
                say "agent present"
            else
                say "agent needed"
                mkdir -p "$lent" && chmod 700 "$HOME/.swiftlet/agent" "$lent" || { say "error agent cannot create $lent"; exit 1; }
                head -c \(agent?.size ?? 0) >"$lent/.upload.$$" 2>err || { rm -f "$lent/.upload.$$"; fail agent; }
                if [ "$(wc -c <"$lent/.upload.$$")" -ne \(agent?.size ?? 0) ] \\
                    || { command -v sha256sum >/dev/null 2>&1 && [ "$(sha256sum <"$lent/.upload.$$" | cut -d' ' -f1)" != "$sha" ]; }; then
                    rm -f "$lent/.upload.$$"
                    say "error agent the agent arrived damaged"
                    exit 1
                fi
                chmod 700 "$lent/.upload.$$" && mv -f "$lent/.upload.$$" "$lent/swiftlet-agent" || fail agent
            fi

            """
        if login != nil {
            script += """
                say login
                do_login >/dev/null 2>err || fail login

                """
        }
        script += """
            exec </dev/null
            if [ -n "$existing" ]; then
                made_from=${existing% *}
                [ "$made_from" = \(ShellQuoting.quote(image.reference)) ] || { say "error other-image $made_from"; exit 1; }
                if [ "${existing##* }" != true ]; then
                    say starting
                    do_start >/dev/null 2>err || fail start
                fi
                say "workdir $(image_workdir 2>/dev/null)"
                say "ready existing"
                exit 0
            fi
            if \(login != nil ? "true" : "! { wait $inspecting && workdir=$(cat image-workdir); }"); then
                say pulling
                # Each layer fetched is told as it comes (podman: "Copying blob", docker:
                # "Download complete"); the rest is kept for an error.
                : >err
                { do_pull 2>&1; echo "swiftlet-pull-exit $?"; } | {
                    layers=0
                    while IFS= read -r line; do
                        case $line in
                        "swiftlet-pull-exit "*) echo "${line#swiftlet-pull-exit }" >pull-exit ;;
                        *"Copying blob"* | *"Download complete"*) layers=$((layers + 1)); say "layer $layers" ;;
                        *) printf '%s\\n' "$line" >>err ;;
                        esac
                    done
                }
                [ "$(cat pull-exit 2>/dev/null)" = 0 ] || fail pull
                rm -f pull-exit
                workdir=$(image_workdir 2>/dev/null)
            fi
            # The task's GPUs: the host's agent picks them among those no other container holds.
            gpu_choices=\(ShellQuoting.quote(gpus))
            gpu_uuids=
            gpu_flags=
            if [ -n "$gpu_choices" ]; then
                [ -n "$lent" ] || { say "error gpus the host's agent is needed to pick its GPUs, and it runs on \(agent?.architecture ?? "?") only"; exit 1; }
                holders=$(gpu_holders 2>/dev/null)
                taken=
                [ -z "$holders" ] || taken=$(gpus_held $holders 2>/dev/null | tr '\n' ',')
                picked=$("$lent/swiftlet-agent" gpus --for-container "$runtime" --choices "$gpu_choices" --taken "$taken" 2>err) || fail gpus
                gpu_uuids=$(printf '%s\n' "$picked" | sed -n 's/^uuids //p')
                gpu_flags=$(printf '%s\n' "$picked" | sed -n 's/^flags //p')
            fi
            eval "set -- $gpu_flags"
            say starting
            shm=$(sed -n 's/^MemTotal: *\\([0-9]*\\) kB$/\\1/p' /proc/meminfo 2>/dev/null)
            shm=$(( ${shm:-0} * 45 / 100 ))
            [ "$shm" -gt 0 ] || shm=
            if ! do_run "$@" >/dev/null 2>err; then
                do_remove >/dev/null 2>&1
                fail run
            fi
            say "workdir $workdir"
            say ready

            """
        return script
    }

    /// Removes `container` and the credentials beside it.
    static func removal(runtime: ContainerRuntime, container: String) -> String {
        """
        \(command(runtime.remove(container: container))) >/dev/null 2>&1
        rm -rf "$HOME/.swiftlet/containers/\(container)"

        """
    }

    /// `argv` as one shell command line; with `extra`, the options only the host knows go
    /// before the image's end (`--entrypoint`): `--shm-size` of the host's `$shm` KiB, the
    /// agent the host lends (`$lent`), read-only, and the GPUs its agent picked (the function's
    /// arguments, and their UUIDs as a label).
    private static func command(_ argv: [String], extra: Bool = false) -> String {
        var words = argv.map(ShellQuoting.quote)
        if extra, let entrypoint = argv.firstIndex(of: "--entrypoint") {
            words.insert(
                #"${shm:+--shm-size "${shm}k"} ${lent:+--volume "$lent:/.swiftlet-agent/$sha:ro"} "#
                    + #""$@" ${gpu_uuids:+--label "\#(ContainerRuntime.gpusLabel)=$gpu_uuids"}"#,
                at: entrypoint
            )
        }
        return words.joined(separator: " ")
    }
}
