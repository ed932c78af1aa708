#!/usr/bin/env bash
# tests/kernel_boot.sh — boot the unikernel under QEMU (TCG) and run the
# in-guest tests of apps/ktest that need no devices: boot and argv, exit
# codes, bad command lines, faults with symbolized backtraces, 16 MB of
# RAM, threads, timer, heap, musl, symbols, signals, unknown system calls.
set -u
cd "$(dirname "$0")/.."
. tests/kernel_lib.inc
if ! have_qemu; then
	echo "qemu-system-x86_64 missing: run scripts/deps.sh"
	echo "0 passed, 1 failed"
	exit 1
fi
K=$KIMG/ktest.elf

vm 20 "$KIMG/hello.elf" -- one "two words"
expect "hello" 0 '^hello from graft \(kernel\)' '^argv\[2\] = two words'
vm 20 --mem 16 "$KIMG/hello.elf"
expect "hello in 16 MB" 0 '^hello from graft'
vm 20 "$K" -- argv 4 a 'b c' 'quote"d' 'back\slash'
expect "argv" 0 'arg\[1\]=<b c>' 'arg\[2\]=<quote"d>' 'arg\[3\]=<back\\slash>' '^SUCCESS argv'
echo "boot: hello (64 and 16 MB), argv with blanks, quotes, backslashes"

vm 20 "$K" -- exit 7
expect "exit 7" 7 'exiting with 7'
vm 20 "$K" -- exit 0
expect "exit 0" 0 'exiting with 0'
vm 20 --cmdline 'opt=1 -- ktest "unterminated' "$K"
expect "bad cmdline: quote" 121 'unterminated quote at offset'
vm 20 --cmdline 'noequals -- ktest argv 0' "$K"
expect "bad cmdline: option" 121 'not key=value'
vm 20 "$K" -- nosuchtest
expect "unknown test" 2 "unknown test 'nosuchtest'"
echo "exit codes: 0, 7, malformed command lines (121), app usage error"

for how in null ro exec guard; do
	vm 20 "$K" -- fault $how
	case $how in
	null) expect "fault null" 120 'page fault: write of 0x8 \(null pointer\)' 'at 0x[0-9a-f]+ crash_here\+' 'by 0x[0-9a-f]+ t_fault\+' ;;
	ro) expect "fault ro" 120 'page fault: write of 0x[0-9a-f]+ \(not writable\)' 'crash_here\+' ;;
	exec) expect "fault exec" 120 'page fault: fetch of 0x[0-9a-f]+ \(not executable\)' ;;
	guard) expect "fault guard" 120 "in thread 'overflow'" 'guard page \(stack overflow\?\)' 'recurse\+' ;;
	esac
done
echo "faults: null, read-only text, no-execute data, stack guard page, with symbolized backtraces"

for t in "syscall" "sym" "signal" "threads 1000" "timer" "heap" "libc"; do
	vm 60 "$K" -- $t
	name=${t%% *}
	case $name in
	syscall) expect "$t" 0 '^SUCCESS syscall' 'unsupported system call 499' ;;
	*) expect "$t" 0 "^SUCCESS $name" ;;
	esac
done
echo "in-guest: unknown syscall, symbols, signals, 1000 threads, timer, heap, musl libc"

# Sleep accuracy against the host's clock: the host stamps the lines the
# guest prints right before and after a 2000 ms sleep (boot time is not in
# the span); the span must be within 10%.
stamps=$(timeout 30 "$GRAFT" vm run --timeout 20 "$K" -- sleep 2000 |
	while IFS= read -r line; do case $line in sleep-start*|sleep-end*) echo "$(date +%s%N)";; esac; done)
set -- $stamps
d=$(( ${2:-0} / 1000000 - ${1:-0} / 1000000 ))
if [ $# -eq 2 ] && [ "$d" -ge 1800 ] && [ "$d" -le 2200 ]; then ok; else bad "sleep 2000 ms took $d ms of host time"; fi
echo "host clock: a 2000 ms sleep in the guest took $d ms on the host"

vm 5 /nonexistent.elf
expect "missing image" 1 'not a readable image'
vm 5 --mem 2 "$K"
expect "bad --mem" 2 'want megabytes'
echo "bad host arguments: missing image, bad --mem"
done_suite
