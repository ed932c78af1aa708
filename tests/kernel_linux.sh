#!/usr/bin/env bash
# tests/kernel_linux.sh — the in-guest test suite (apps/ktest) on the
# Linux-process platform: the same sources and checks as kernel_boot.sh
# and kernel_devices.sh, with files under a temporary GRAFT_ROOT/GRAFT_SHARE,
# UDP over loopback, and the console on a unix socket.
set -u
cd "$(dirname "$0")/.."
. tests/kernel_lib.inc
K=$BUILD/apps/ktest
work=$(mktemp -d)
trap 'rm -rf "$work" "$out"; [ -n "${spid:-}" ] && kill "$spid" 2>/dev/null' EXIT
mkdir -p "$work/rootfs/etc" "$work/rootfs/tmp" "$work/share"
cp apps/ktest/files/etc/motd "$work/rootfs/etc/motd"
export GRAFT_ROOT=$work/rootfs GRAFT_SHARE=$work/share KTEST_TMP=$work/rootfs/tmp

# run SECONDS ARGS...: run the Linux build, sets $rc and $out.
run() {
	local t=$1; shift
	timeout --kill-after=5 "$t" "$K" "$@" >"$out" 2>&1
	rc=$?
}

run 10 argv 3 a 'b c' 'quote"d'
expect "argv" 0 'arg\[1\]=<b c>' 'arg\[2\]=<quote"d>' '^SUCCESS argv'
run 10 exit 7
expect "exit 7" 7 'exiting with 7'
# Under SAN=1 the sanitizers own SIGSEGV and report faults their way.
hows="null ro exec guard"
[ "${SAN:-0}" = 1 ] && hows=
for how in $hows; do
	run 10 fault $how
	case $how in
	null) expect "fault null" 120 'page fault: write of 0x8 \(null pointer\)' 'crash_here\+' ;;
	ro) expect "fault ro" 120 '\(not writable\)' 'crash_here\+' ;;
	exec) expect "fault exec" 120 '\(not executable\)' ;;
	guard) expect "fault guard" 120 "in thread 'overflow'" 'guard page \(stack overflow\?\)' 'recurse\+' ;;
	esac
done
echo "linux: argv, exit code, faults reported with symbols"

for t in syscall sym signal "threads 1000" timer heap libc pkey efault random tls; do
	run 60 $t
	expect "linux $t" 0 "^SUCCESS ${t%% *}"
done
echo "linux: unknown syscall, symbols, signals, 1000 threads, timer, heap, libc, protection keys (where the CPU has them), EFAULT, getrandom, per-thread errno"

printf "hello from the host" > "$work/share/from-host.txt"
run 20 files /share "hello from the host"
expect "linux files" 0 '^SUCCESS files'
if [ "$(head -c 21 "$work/share/from-guest.txt" 2>/dev/null)" = "written by the guest" ]; then ok; else bad "share: from-guest.txt missing or wrong"; fi
run 10 files /share/../etc
expect "linux files: no climbing out" 1 'FAILURE files'
echo "linux: files in GRAFT_SHARE checked by the host; '..' refused"

# UDP: a server and a client process on loopback.
port=$((20000 + RANDOM % 20000))
timeout 30 "$K" udp server $port 5 >"$work/server.out" 2>&1 &
spid=$!
run 30 udp client 127.0.0.1 $port 5
expect "linux udp client" 0 '^SUCCESS udp' '5 datagrams answered'
wait "$spid"; src=$?; spid=
if [ "$src" -eq 0 ] && grep -q '^SUCCESS udp' "$work/server.out"; then ok; else bad "udp server exit $src: $(tail -n 3 "$work/server.out")"; fi
port=$((20000 + RANDOM % 20000))
timeout 30 "$K" sock server $port 5 >"$work/sserver.out" 2>&1 &
spid=$!
run 30 sock client 127.0.0.1 $port 5
expect "linux sockets client" 0 '^SUCCESS sock'
wait "$spid"; src=$?; spid=
if [ "$src" -eq 0 ] && grep -q '^SUCCESS sock' "$work/sserver.out"; then ok; else bad "sockets server exit $src"; fi
echo "linux: UDP datagrams between two processes (platform API and BSD sockets)"

# Console echo over the unix socket, driven by tests/platform_console as the client.
sock=$work/console.sock
GRAFT_CONSOLE=$sock timeout 30 "$K" console >"$work/console.out" 2>&1 &
spid=$!
if "$BUILD/tests/platform_console" "$sock" >"$out" 2>&1; then ok; else bad "console client"; fi
wait "$spid"; src=$?; spid=
if [ "$src" -eq 0 ] && grep -q '^SUCCESS console' "$work/console.out"; then ok; else bad "console app exit $src"; fi
echo "linux: console echo over a unix socket"
done_suite
