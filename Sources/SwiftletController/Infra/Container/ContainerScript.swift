/// The `/bin/sh` snippets a container's host runs (through the host's own transport, with no
/// agent): the bring-up (find the runtime, log in, pull, start or reuse the container) and the
/// removal. The command lines are ``ContainerRuntime``'s, rendered for both runtimes; the
/// snippet only chooses and reports, in lines `swiftlet-container VERB [TEXT]` that
/// ``ContainerBringUp`` reads.
enum ContainerScript {
    static let linePrefix = "swiftlet-container "

    /// Brings `container` up from `image`. Reads the registry password (when `login` is given)
    /// from its stdin, which nothing else reads.
    static func bringUp(
        runtime chosen: ContainerRuntime?,
        container: String,
        cluster: String,
        image: ContainerImage,
        login: RegistryLogin?
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
            shm=$(sed -n 's/^MemTotal: *\\([0-9]*\\) kB$/\\1/p' /proc/meminfo 2>/dev/null)
            shm=$(( ${shm:-0} * 45 / 100 ))
            [ "$shm" -gt 0 ] || shm=

            """
        for runtime in ContainerRuntime.allCases {
            script += "if [ \"$runtime\" = \(runtime.rawValue) ]; then\n"
            if let login { script += "    do_login() { \(command(runtime.login(login))); }\n" }
            script += """
                    do_pull() { \(command(runtime.pull(image, authenticated: login != nil))); }
                    has_image() { \(command(runtime.hasImage(image))); }
                    describe() { \(command(runtime.describe(container: container))); }
                    do_run() { \(command(runtime.run(image, name: container, cluster: cluster, sharedMemoryKiB: nil), shm: true)); }
                    do_start() { \(command(runtime.start(container: container))); }
                    do_workdir() { \(command(runtime.workingDirectory(of: container))); }
                    do_check() { \(command(runtime.exec(container: container) + ["/bin/sh", "-c", ":"])); }
                    do_logs() { \(command(runtime.logs(container: container))); }
                    do_remove() { \(command(runtime.remove(container: container))); }
                fi

                """
        }
        if login != nil {
            script += """
                say login
                do_login >/dev/null 2>err || fail login

                """
        }
        script += """
            exec </dev/null
            if existing=$(describe 2>/dev/null); then
                made_from=${existing% *}
                [ "$made_from" = \(ShellQuoting.quote(image.reference)) ] || { say "error other-image $made_from"; exit 1; }
                if [ "${existing##* }" != true ]; then
                    say starting
                    do_start >/dev/null 2>err || fail start
                fi
                say "workdir $(do_workdir 2>/dev/null)"
                say "ready existing"
                exit 0
            fi
            if \(login != nil ? "true" : "! has_image >/dev/null 2>&1"); then
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
                        *) printf '%s\n' "$line" >>err ;;
                        esac
                    done
                }
                [ "$(cat pull-exit 2>/dev/null)" = 0 ] || fail pull
                rm -f pull-exit
            fi
            say starting
            if ! do_run >/dev/null 2>err; then
                do_remove >/dev/null 2>&1
                fail run
            fi
            if ! do_check >/dev/null 2>err; then
                do_logs >err 2>&1
                do_remove >/dev/null 2>&1
                fail shell
            fi
            say "workdir $(do_workdir 2>/dev/null)"
            say ready

            """
        return script
    }

    /// Removes `container` and the credentials beside it.
    static func removal(runtime: ContainerRuntime, container: String, cluster: String) -> String {
        """
        \(command(runtime.remove(container: container))) >/dev/null 2>&1
        rm -rf "$HOME/.swiftlet/containers/\(container)"

        """
    }

    /// `argv` as one shell command line; with `shm`, `--shm-size` of the host's `$shm` KiB goes
    /// before the image's options end (`--entrypoint`).
    private static func command(_ argv: [String], shm: Bool = false) -> String {
        var words = argv.map(ShellQuoting.quote)
        if shm, let entrypoint = argv.firstIndex(of: "--entrypoint") {
            words.insert(#"${shm:+--shm-size "${shm}k"}"#, at: entrypoint)
        }
        return words.joined(separator: " ")
    }
}
