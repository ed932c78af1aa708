#!/usr/bin/env bash
# The overlay end to end, on the unikernel under QEMU and on the Linux
# platform: apps/ovltest serves the console while it keeps calling its
# traced function ovt_work (and checks every result); through
# `graft console` we attach programs to the real patched entry, read what
# they saw, make one fault, refuse a function without the NOP entry,
# detach; native programs: one reads the app, one writes it (stopped by
# protection keys on the unikernel under QEMU -cpu max), one crashes (an
# error, not a crash); then end the app with SIGUSR1: it must report every
# call right.
set -u
cd "$(dirname "$0")/.."
. tests/kernel_lib.inc
work=$(mktemp -d)
pids=
trap 'rm -rf "$work" "$out"; for p in $pids; do kill "$p" 2>/dev/null; done' EXIT
mkdir -p "$work/share"
cp "$BUILD"/overlay_bpf/entry.o "$BUILD"/overlay_bpf/exec.o "$work/share/"
cp "$BUILD"/overlay_native/*.o "$work/share/" 2>/dev/null

# c CMD: one console command; its output (and status) in $cout, $crc.
c() { cout=$("$GRAFT" console -c "$1" "$sock" 2>&1); crc=$?; }
# has NAME PATTERN: the last command's output matches.
has() {
	if grep -qE -- "$2" <<<"$cout"; then ok; else
		fail=$((fail + 1)); echo "FAIL $where $1: [$cout] lacks /$2/"; fi
}

drive() { # drive WHERE: the session against $sock
	where=$1
	for _ in $(seq 150); do c "echo up"; [ $crc -eq 0 ] && break; sleep 0.2; done
	has "console up" '^up$'
	c "bpf_attach ovt_work /share/entry.o tally"; has "attach" '^ok attached tally to ovt_work as 1'
	sleep 0.5
	c "bpf_map_get hits 0"; n=$(head -1 <<<"$cout")
	if [ "${n:-0}" -gt 0 ] 2>/dev/null; then ok; else fail=$((fail + 1)); echo "FAIL $where: no hits counted [$cout]"; fi
	c "bpf_attach ovt_work /share/entry.o record"; has "second program" '^ok attached record to ovt_work as 2'
	sleep 0.3
	c "bpf_map_dump seen"; has "args seen" '^1 = 1$'
	has "args seen" '^5 = 5$'
	has "return address seen" '^6 = [1-9][0-9]+$'
	c "bpf_detach 1"; has "detach one" '^ok detached 1'
	c "bpf_map_get hits 0"; h1=$(head -1 <<<"$cout"); sleep 0.3
	c "bpf_map_get hits 0"; h2=$(head -1 <<<"$cout")
	if [ "$h1" = "$h2" ]; then ok; else fail=$((fail + 1)); echo "FAIL $where: detached program still counting ($h1 -> $h2)"; fi
	c "bpf_attach ovt_work /share/entry.o wild"; has "faulty attach" '^ok attached wild'
	sleep 0.3
	c "bpf_list"; has "fault reported" 'last error: .*invalid load of 8 bytes'
	has "list shows record" 'ovt_work +/share/entry.o:record'
	c "bpf_attach gp_now_ns /share/entry.o tally"; has "no NOP entry" 'error: bpf_attach: gp_now_ns: .*-fpatchable-function-entry=5,0'
	c "bpf_attach no_such_fn /share/entry.o tally"; has "unknown symbol" "error: bpf_attach: unknown symbol 'no_such_fn'"
	c "bpf_detach 99"; has "detach unknown" 'error: bpf_detach: nothing attached as 99'
	c "bpf_detach ovt_work"; has "detach all" '^ok detached 2 from ovt_work'
	c "bpf_list"; has "empty list" '^ok 0 attached'
	# Native programs: a reader works; a writer is stopped by protection
	# keys where there are some; a crash is an error; the app goes on.
	c "load /share/reader.o"; has "native load" '^ok loaded reader'
	c "run reader"; has "native reads the app" "^ok reader returned 42 .*isolation: $iso"
	c "load /share/writer.o"; has "native load writer" '^ok loaded writer'
	c "run writer"
	if [ "$iso" = PKU ]; then
		has "write stopped by PKU" '^error: run: stopped by a page fault: write of 0x[0-9a-f]+ \(protection key'
		c "run reader"; has "app memory unchanged" '^ok reader returned 42 '
		c "stats"; has "stats says PKU" "protection keys: native programs run with the application's memory read-only \(PKU\)"
	else
		has "write allowed without PKU" '^ok writer returned 0 .*isolation: none'
		c "stats"; has "stats says none" 'protection keys: .*isolation: none'
	fi
	c "load /share/hello.o"; has "native hello load" '^ok loaded hello'
	c "run hello a b"; has "own data, console output" '^hello from a native program$'
	has "own data writable" "^ok hello returned 301 .*isolation: $iso"
	c "run hello"; has "own data kept" '^ok hello returned 102 '
	c "load /share/crash.o"; has "native load crash" '^ok loaded crash'
	c "run crash"; has "crash is an error" '^error: run: stopped by a page fault: read of 0x10 '
	c "echo still here"; has "console after the crash" '^still here$'
	c "kill USR1"; has "stop the app" '^ok SIGUSR1'
}

if have_qemu && [ -f "$KIMG/ovltest.elf" ]; then
	sock=$work/vm.sock
	timeout 100 "$GRAFT" vm run --timeout 90 --console "$sock" --share "$work/share" \
		"$KIMG/ovltest.elf" -- 80 >"$work/vm.out" 2>&1 &
	vpid=$!; pids="$pids $vpid"
	iso=PKU drive unikernel
	wait "$vpid"; vrc=$?
	cp "$work/vm.out" "$out"
	rc=$vrc; expect "unikernel app survived, every traced call right" 0 '^SUCCESS ovltest'
	echo "unikernel: attach to the patched entry, args and return address, fault reported, refused entry, detach; app right throughout"
else
	echo "qemu-system-x86_64 or the ovltest image missing: unikernel part skipped"
	fail=$((fail + 1))
fi

sock=$work/linux.sock
GRAFT_CONSOLE=$sock GRAFT_SHARE=$work/share GRAFT_ROOT=$work timeout 60 \
	"$BUILD/apps/ovltest" 50 >"$work/linux.out" 2>&1 &
lpid=$!; pids="$pids $lpid"
iso=none drive linux
wait "$lpid"; lrc=$?
cp "$work/linux.out" "$out"
rc=$lrc; expect "linux app survived, every traced call right" 0 '^SUCCESS ovltest'
echo "linux: the same session against the Linux build"
done_suite
