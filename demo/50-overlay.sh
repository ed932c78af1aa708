#!/usr/bin/env bash
# The overlay: a console into a running application. This step runs the
# Linux-process test bed (build/tests/overlay_socket --serve: an app thread
# answering a steady load of requests and reloading its config on SIGHUP,
# beside the overlay's console thread) and drives it with `graft console`
# the way an operator would: files, a config reload, an eBPF call counter
# attached to the app's request handler, a faulty program stopped with a
# clear error while the app keeps answering, and a native program that
# reads the app's request counter by symbol.
set -eu
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
GRAFT=$BUILD/graft
need="$BUILD/tests/overlay_socket $GRAFT $BUILD/overlay_bpf/exec.o
$BUILD/overlay_bpf/faulty.o $BUILD/overlay_native/served.o"
for f in $need; do
	[ -e "$f" ] || make --no-print-directory -s $need >/dev/null
done
tmp=$(mktemp -d)
srv=
cleanup() { [ -n "$srv" ] && kill "$srv" 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
mkdir "$tmp/app"
printf 'greeting=hello\n' >"$tmp/app/config"
printf '12:00:01 started\n12:00:02 GET key1\n12:00:03 SET key2\n' >"$tmp/app/log"
cp "$BUILD/overlay_bpf/exec.o" "$BUILD/overlay_bpf/faulty.o" \
	"$BUILD/overlay_native/served.o" "$tmp/app/"
"$BUILD/tests/overlay_socket" --serve "$tmp/sock" "$tmp/app" >/dev/null &
srv=$!
for _ in $(seq 100); do [ -S "$tmp/sock" ] && break; sleep 0.05; done

step() { echo "\$ graft console SOCK -c '$1'"; "$GRAFT" console "$tmp/sock" -c "$1" || true; echo; }
echo "== overlay console (Linux platform test bed; the unikernel's comes with the kvstore app)"
step "help"
step "ls"
step "cat log"
printf 'greeting=bonjour\n' >"$tmp/app/config"
step "kill SIGHUP"
sleep 0.1
step "stats"
echo "== eBPF: a call counter on the app's request handler"
step "bpf_attach tapp_handle_request exec.o count"
sleep 0.3
step "bpf_map_dump calls"
step "bpf_list"
echo "== a faulty program is stopped; the app keeps answering"
step "bpf_exec faulty.o peek 0x1000"
step "bpf_attach tapp_handle_request faulty.o spin"
sleep 0.2
step "bpf_list"
step "bpf_detach tapp_handle_request"
step "bpf_map_dump calls"
echo "== a native program reads the app's request counter by symbol"
step "load served.o"
step "run served"
step "load served.o"
step "frob"
step "cat ../../etc/passwd"
echo "== scripted: commands on stdin, exit code from the status lines"
printf 'echo one\ncat config\n' | "$GRAFT" console "$tmp/sock"
echo "exit code $?"
