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
vm 20 --cmdline 'opt=1 noequals -- ktest argv 0' "$K"
expect "bad cmdline: option" 121 'not key=value at offset 6'
vm 20 "$K" -- nosuchtest
expect "unknown test" 2 "unknown test 'nosuchtest'"
vm 20 --cmdline "-- ktest argv 1 $(printf '%3000s' | tr ' ' x)" "$K"
expect "bad cmdline: too long" 121 'command line: 30[0-9][0-9] bytes, at most 2047'
args=$(seq 1 70)
vm 20 --cmdline "-- ktest argv 70 $(echo $args)" "$K"
expect "bad cmdline: too many arguments" 121 'too many arguments \(at most 64\) at offset [1-9]'
echo "exit codes: 0, 7, malformed, too long and too many-word command lines (121), app usage error"

for how in null ro exec guard mainguard; do
	vm 20 "$K" -- fault $how
	case $how in
	null) expect "fault null" 120 'page fault: write of 0x8 \(null pointer\)' 'at 0x[0-9a-f]+ crash_here\+' 'by 0x[0-9a-f]+ t_fault\+' ;;
	ro) expect "fault ro" 120 'page fault: write of 0x[0-9a-f]+ \(not writable\)' 'crash_here\+' ;;
	exec) expect "fault exec" 120 'page fault: fetch of 0x[0-9a-f]+ \(not executable\)' ;;
	guard) expect "fault guard" 120 "in thread 'overflow'" 'guard page \(stack overflow\?\)' 'recurse\+' ;;
	mainguard) expect "fault main guard" 120 "in thread 'main'" 'guard page \(stack overflow\?\)' 'recurse\+' ;;
	esac
done
vm 20 "$K" -- pkey
expect "protection keys" 0 'read allowed with PKRU 0x' '^SUCCESS pkey'
vm 20 "$K" -- pkey write
expect "protection key write" 120 'page fault: write of 0x[0-9a-f]+ \(protection key\)' 't_pkey\+'
echo "faults: null, read-only text, no-execute data, stack guard page, protection key; symbolized backtraces"

for t in "syscall" "sym" "signal" "threads 1000" "timer" "heap" "libc"; do
	vm 60 "$K" -- $t
	name=${t%% *}
	case $name in
	syscall) expect "$t" 0 '^SUCCESS syscall' 'unsupported system call 499' 'unsupported system call 100000' ;;
	*) expect "$t" 0 "^SUCCESS $name" ;;
	esac
done
echo "in-guest: unknown syscall, symbols, signals, 1000 threads, timer, heap, musl libc"

vm 30 "$K" -- efault
expect "efault" 0 '^SUCCESS efault' '^read/write:' '^files:' '^time, random'
vm 30 "$K" -- tls
expect "tls" 0 '^SUCCESS tls' 'own _Thread_local'
echo "in-guest: bad pointers to system calls give EFAULT (read/write, files, time, signals); per-thread TLS and errno"

# getrandom: two boots must differ; with RDRAND (TCG's -cpu max has it)
# nothing may say the bytes are weak; random=weak forces the fallback.
vm 30 "$K" -- random
expect "random" 0 '^SUCCESS random' '^random-bytes [0-9a-f]{32}'
r1=$(grep '^random-bytes' "$out")
if grep -q 'cpu: rdrand 1' "$out" && grep -q 'NOT cryptographic' "$out"; then bad "random: weak source used although the CPU has RDRAND"; else ok; fi
vm 30 "$K" -- random
expect "random again" 0 '^SUCCESS random'
if [ -n "$r1" ] && [ "$r1" != "$(grep '^random-bytes' "$out")" ]; then ok; else bad "random: two boots gave the same bytes ($r1)"; fi
vm 30 --cmdline 'random=weak -- ktest random' "$K"
expect "random without RDRAND" 0 '^SUCCESS random' 'NOT cryptographic'
echo "getrandom: RDRAND bytes differ across calls and boots, flags, EFAULT; no-RDRAND fallback logged"

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

# A stopped `graft vm run` takes its QEMU with it (QEMU runs in its own
# process group): SIGTERM is passed on, SIGKILL reaches it through the
# parent-death signal. The guest sleeps far longer than the test waits.
for sig in TERM KILL; do
	"$GRAFT" vm run "$K" -- sleep 60000 >"$out" 2>&1 &
	g=$!
	sleep 1.5
	kill -s $sig $g
	{ wait $g; } 2>/dev/null
	st=$?
	n=0
	while pgrep -f "qemu-system.*ktest.elf.*sleep.*60000" >/dev/null && [ $n -lt 30 ]; do sleep 0.1; n=$((n + 1)); done
	if pgrep -f "qemu-system.*ktest.elf.*sleep.*60000" >/dev/null; then
		bad "SIGKILL/TERM of graft vm run left QEMU running ($sig)"
		pkill -f "qemu-system.*ktest.elf.*sleep.*60000"
	elif [ $sig = TERM ] && [ $st -ne 143 ]; then bad "SIGTERM: exit $st, wanted 143"
	else ok; fi
done
echo "graft vm run stopped by SIGTERM or SIGKILL: no QEMU left behind"
done_suite
