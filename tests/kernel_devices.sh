#!/usr/bin/env bash
# tests/kernel_devices.sh — the unikernel's virtio devices under QEMU:
# 9p against a host directory (checked by the host), a missing share,
# console echo over the unix socket, two guests exchanging UDP over a
# QEMU socket netdev on loopback, and ping answered by the guest's IPv4
# path (the pinger is the Linux build of ktest sending raw frames).
set -u
cd "$(dirname "$0")/.."
. tests/kernel_lib.inc
if ! have_qemu; then
	echo "qemu-system-x86_64 missing: run scripts/deps.sh"
	echo "0 passed, 1 failed"
	exit 1
fi
K=$KIMG/ktest.elf
work=$(mktemp -d)
pids=
trap 'rm -rf "$work" "$out"; for p in $pids; do kill "$p" 2>/dev/null; done' EXIT

# 9p: the guest writes 20000 bytes, reads them back, lists, reads ours.
mkdir -p "$work/share"
printf 'written by the host' > "$work/share/from-host.txt"
vm 30 --share "$work/share" "$K" -- files /share "written by the host"
expect "9p files" 0 '^SUCCESS files'
f=$work/share/from-guest.txt
if [ -f "$f" ] && [ "$(stat -c %s "$f")" -eq 20000 ] && [ "$(head -c 20 "$f")" = "written by the guest" ]; then ok; else bad "9p: host does not see the guest's file"; fi
vm 30 --share "$work/share" "$K" -- libc
expect "musl on the RAM fs with a share mounted" 0 '^SUCCESS libc'
vm 20 "$K" -- files /share
expect "9p missing share" 1 'FAILURE files: create /share/from-guest.txt: -2' 'nothing is mounted at /share \(no 9p device'
vm 20 --share /nonexistent "$K" -- files /share
expect "missing share directory" 1 'not a directory'
echo "9p: create/write/read back/readdir/mkdir/unlink checked by the host; server errors (EEXIST, ENOTEMPTY, EISDIR, ENOENT); missing share reported"

# Console echo: QEMU serves the socket; the client retries until the guest is up.
sock=$work/console.sock
timeout 40 "$GRAFT" vm run --timeout 30 --console "$sock" "$K" -- console >"$work/console.out" 2>&1 &
vpid=$!; pids="$pids $vpid"
if "$BUILD/tests/platform_console" "$sock" --hangup-first >"$out" 2>&1; then ok; else bad "console clients against the guest"; fi
wait "$vpid"; vrc=$?
if [ "$vrc" -eq 0 ] && grep -q '^SUCCESS console' "$work/console.out"; then ok; else cp "$work/console.out" "$out"; bad "console guest exit $vrc"; fi
echo "console: echo over a virtio-serial port and a unix socket; a client hangs up, the next is served"

# Two guests over a socket netdev on loopback.
pa=$((30000 + RANDOM % 20000)); pb=$((pa + 1))
timeout 40 "$GRAFT" vm run --timeout 30 --net socket:$pa:$pb --ip 10.0.0.1 "$K" -- udp server 7777 5 >"$work/server.out" 2>&1 &
spid=$!; pids="$pids $spid"
vm 30 --net socket:$pb:$pa --ip 10.0.0.2 "$K" -- udp client 10.0.0.1 7777 5
expect "udp client guest" 0 '^SUCCESS udp' '5 datagrams answered'
wait "$spid"; src=$?
if [ "$src" -eq 0 ] && grep -q '^SUCCESS udp' "$work/server.out"; then ok; else cp "$work/server.out" "$out"; bad "udp server guest exit $src"; fi
pa=$((30000 + RANDOM % 20000)); pb=$((pa + 1))
timeout 40 "$GRAFT" vm run --timeout 30 --net socket:$pa:$pb --ip 10.0.0.1 "$K" -- sock server 7000 5 >"$work/sserver.out" 2>&1 &
spid=$!; pids="$pids $spid"
vm 30 --net socket:$pb:$pa --ip 10.0.0.2 "$K" -- sock client 10.0.0.1 7000 5
expect "BSD sockets client guest" 0 '^SUCCESS sock' '5 socket datagrams answered'
wait "$spid"; src=$?
if [ "$src" -eq 0 ] && grep -q '^SUCCESS sock' "$work/sserver.out"; then ok; else cp "$work/sserver.out" "$out"; bad "BSD sockets server guest exit $src"; fi
pa=$((30000 + RANDOM % 20000))
vm 30 --net socket:$pa:$((pa + 1)) --ip 10.0.0.1 "$K" -- efault
expect "socket calls with bad pointers" 0 '^SUCCESS efault' '^sockets: bind, connect'
echo "net: two guests exchange UDP datagrams over a QEMU socket netdev (platform API and BSD sockets); socket calls give EFAULT"

# Ping: the guest's kernel answers ARP and ICMP echo; the host side is the
# Linux platform's raw frames in QEMU's socket-netdev format.
pa=$((30000 + RANDOM % 20000)); pb=$((pa + 1))
timeout 30 "$GRAFT" vm run --timeout 20 --net socket:$pa:$pb --ip 10.0.0.1 "$K" -- sleep 15000 >"$work/ping-guest.out" 2>&1 &
gpid=$!; pids="$pids $gpid"
GRAFT_NET=udp:$pb:127.0.0.1:$pa timeout 30 "$BUILD/apps/ktest" ping 10.0.0.9 10.0.0.1 5 >"$out" 2>&1
rc=$?
expect "ping the guest" 0 '5 of 5 pings answered'
kill "$gpid" 2>/dev/null; wait "$gpid" 2>/dev/null
echo "net: ARP and ping answered by the guest"
done_suite
