#!/usr/bin/env bash
# The overlay: a console into a running application. This step runs the
# Linux-process test bed (build/tests/overlay_socket --serve: an app thread
# that reloads its config on SIGHUP, beside the overlay's console thread)
# and drives it with `graft console`, the way an operator would.
set -eu
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
GRAFT=$BUILD/graft
[ -x "$BUILD/tests/overlay_socket" ] && [ -x "$GRAFT" ] ||
	make --no-print-directory -s "$BUILD/tests/overlay_socket" "$GRAFT" >/dev/null
tmp=$(mktemp -d)
srv=
cleanup() { [ -n "$srv" ] && kill "$srv" 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
mkdir "$tmp/app"
printf 'greeting=hello\n' >"$tmp/app/config"
printf '12:00:01 started\n12:00:02 GET key1\n12:00:03 SET key2\n' >"$tmp/app/log"
"$BUILD/tests/overlay_socket" --serve "$tmp/sock" "$tmp/app" >/dev/null &
srv=$!
for _ in $(seq 100); do [ -S "$tmp/sock" ] && break; sleep 0.05; done

step() { echo "\$ graft console SOCK -c '$1'"; "$GRAFT" console "$tmp/sock" -c "$1" || true; echo; }
echo "== overlay console (Linux platform test bed)"
step "help"
step "ls"
step "cat log"
printf 'greeting=bonjour\n' >"$tmp/app/config"
step "kill SIGHUP"
sleep 0.1
step "stats"
step "frob"
step "cat ../../etc/passwd"
echo "== scripted: commands on stdin, exit code from the status lines"
printf 'echo one\ncat config\n' | "$GRAFT" console "$tmp/sock"
echo "exit code $?"
