# Swiftlet bootstrap. Run by /bin/sh with no rc files, through any transport (ssh -T,
# kubectl exec -i, docker exec -i, a local pipe). The controller fills in @SHA256@ and @SIZE@.
# It speaks in lines "\211SWL:<verb> <text>"; the agent itself opens with its preamble.
sha=@SHA256@
size=@SIZE@
# Private, whatever umask the login shell set: another user must never write where the agent
# runs from.
umask 077
say() { printf '\211SWL:%s\n' "$*"; }
fail() { say "error $1 $2"; exec cat >/dev/null; }
[ -n "${HOME:-}" ] || HOME=$(cd ~ 2>/dev/null && pwd)
[ -e /proc/self/exe ] || fail proc "/proc is not mounted; the agent needs it"

# A container's host lends its copy, mounted read-only under the same hash.
if [ -x "/.swiftlet-agent/$sha/swiftlet-agent" ]; then exec "/.swiftlet-agent/$sha/swiftlet-agent" serve --stdio; fi
root="$HOME/.swiftlet/agent"
dir="$root/$sha"
bin="$dir/swiftlet-agent"
if [ -x "$bin" ]; then exec "$bin" serve --stdio; fi
say "need $(uname -m)"
mkdir -p "$dir" 2>/dev/null || fail mkdir "cannot create $dir (read-only home?)"
chmod 700 "$HOME/.swiftlet" "$root" "$dir" 2>/dev/null
tmp="$dir/.upload.$$"
if ! head -c "$size" > "$tmp" 2>/dev/null; then
    rm -f "$tmp"
    fail write "cannot write $tmp (disk full or read-only home?)"
fi
got=$(wc -c < "$tmp")
if [ "$((got))" -ne "$size" ]; then
    rm -f "$tmp"
    fail write "received $((got)) of $size bytes (disk full or connection cut?)"
fi
if command -v sha256sum >/dev/null 2>&1; then
    sum=$(sha256sum "$tmp")
    if [ "${sum%% *}" != "$sha" ]; then
        rm -f "$tmp"
        fail verify "sha256 mismatch after upload"
    fi
fi
# Another controller may have installed this build meanwhile: its binary stays (a daemon may
# run from it, and a new file would look like another build). Without hard links, mv.
if ! { chmod 700 "$tmp" && { ln "$tmp" "$bin" 2>/dev/null || [ -x "$bin" ] || mv -f "$tmp" "$bin"; }; }; then
    rm -f "$tmp"
    fail install "cannot install $bin"
fi
rm -f "$tmp"
"$bin" version >/dev/null 2>&1
rc=$?
if [ "$rc" -eq 126 ]; then fail exec "cannot execute $bin: is $HOME mounted noexec?"; fi
if [ "$rc" -ne 0 ]; then fail exec "$bin does not run here (exit $rc)"; fi
# Keep the three most recent agent versions.
(cd "$root" && ls -1t | tail -n +4 | while read -r old; do [ "$old" = "$sha" ] || rm -rf "./$old"; done) 2>/dev/null
exec "$bin" serve --stdio
