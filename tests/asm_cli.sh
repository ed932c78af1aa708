#!/usr/bin/env bash
# The asm, disasm and run subcommands: help, exit codes (0 ok, 1 failure,
# 2 usage), errors on stderr, and the round trip through files.
set -u
cd "$(dirname "$0")/.."
GRAFT=${GRAFT:-${BUILD:-build}/graft}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
pass=0 fail=0

# expect NAME WANT_RC STDOUT_PATTERN STDERR_PATTERN -- CMD...
expect() {
	local name=$1 want=$2 out_pat=$3 err_pat=$4
	shift 5
	"$@" >"$work/out" 2>"$work/err"
	local rc=$?
	local why=""
	[ "$rc" -eq "$want" ] || why="exit $rc, want $want"
	[ -z "$out_pat" ] || grep -Eq -- "$out_pat" "$work/out" || why="$why; stdout lacks /$out_pat/"
	[ -z "$err_pat" ] || grep -Eq -- "$err_pat" "$work/err" || why="$why; stderr lacks /$err_pat/"
	if [ -z "$why" ]; then
		pass=$((pass + 1))
	else
		fail=$((fail + 1))
		echo "FAIL $name: $why"
		sed 's/^/    out: /' "$work/out" | head -5
		sed 's/^/    err: /' "$work/err" | head -5
	fi
}

for c in asm disasm run; do
	expect "$c --help" 0 "usage: graft $c" "" -- "$GRAFT" $c --help
	expect "$c without a file" 2 "" "usage: graft $c" -- "$GRAFT" $c
	expect "$c bad option" 2 "" "unknown option '--bogus'" -- "$GRAFT" $c --bogus x
done

# every command's --help (the README's promise) prints its usage, exit 0
for c in inspect verify keygen sign verify-sig console "vm run"; do
	expect "$c --help" 0 "usage: graft $c" "" -- "$GRAFT" $c --help
done

# asm -> raw -> disasm -> asm gives the same bytes, for every example
for s in examples/asm/*.s; do
	b=$(basename "$s" .s)
	expect "asm $b" 0 "" "" -- "$GRAFT" asm "$s" -o "$work/$b.bin"
	expect "disasm $b" 0 "" "" -- "$GRAFT" disasm "$work/$b.bin"
	cp "$work/out" "$work/$b.txt"
	expect "re-asm $b" 0 "" "" -- "$GRAFT" asm "$work/$b.txt" -o "$work/$b.again"
	expect "same bytes $b" 0 "" "" -- cmp "$work/$b.bin" "$work/$b.again"
	expect "disasm --kernel $b" 0 "^ +0: " "" -- "$GRAFT" disasm --kernel "$work/$b.bin"
done
expect "asm --hex" 0 "^0x00000001000000b7$" "" -- "$GRAFT" asm --hex examples/asm/factorial.s
expect "asm to a pipe is raw" 0 "" "" -- sh -c "'$GRAFT' asm examples/asm/factorial.s | cmp - '$work/factorial.bin'"
printf 'mov %%r0, 1\nadd %%r0, %%r50\n' >"$work/bad.s"
expect "asm error names line and column" 1 "" "bad.s: line 2, column 10: bad register" -- "$GRAFT" asm "$work/bad.s"
expect "asm missing file" 1 "" "no/such.s" -- "$GRAFT" asm no/such.s
printf 'abc' >"$work/odd.bin"
expect "disasm odd size" 1 "" "not a whole number of 8-byte" -- "$GRAFT" disasm "$work/odd.bin"
expect "disasm --jit answers" 0 "" "" -- sh -c "'$GRAFT' disasm --jit '$work/factorial.bin'; [ \$? -le 1 ]"

# run
expect "run text" 0 "^r0 = 2432902008176640000 \(0x21c3677c82b40000\)$" "" -- "$GRAFT" run examples/asm/factorial.s
expect "run raw" 0 "^60 instructions executed$" "" -- "$GRAFT" run "$work/factorial.bin"
cp "$work/factorial.bin" "$work/noext"
expect "run guesses raw" 0 "^r0 = 2432902008176640000" "" -- "$GRAFT" run "$work/noext"
cp examples/asm/factorial.s "$work/noext2"
expect "run guesses text" 0 "^r0 = 2432902008176640000" "" -- "$GRAFT" run "$work/noext2"
expect "run --raw on text" 1 "" "not a whole number|invalid|unknown opcode" -- "$GRAFT" run --raw examples/asm/factorial.s
expect "run --mem" 0 "^r0 = 47201 \(0xb861\)$" "" -- "$GRAFT" run examples/asm/checksum.s --mem examples/asm/checksum.mem
expect "run helpers and local call" 0 "trace: Hello from eBPF, n=12" "" -- "$GRAFT" run examples/asm/calls.s
expect "run fault" 1 "" "pc 2: invalid load of 8 bytes at 0x" -- "$GRAFT" run examples/asm/fault.s --mem examples/asm/fault.mem
expect "run budget" 1 "" "instruction budget of 100 exhausted" -- "$GRAFT" run examples/asm/runaway.s --budget 100
expect "run bad budget" 2 "" "--budget wants a positive number" -- "$GRAFT" run examples/asm/runaway.s --budget x
printf 'zz\n' >"$work/bad.mem"
expect "run bad --mem" 1 "" "line 1: expected hex bytes" -- "$GRAFT" run examples/asm/checksum.s --mem "$work/bad.mem"
printf 'mov %%r10, 1\nexit\n' >"$work/r10.s"
expect "run rejected at load" 1 "" "r10.s: .*pc 0" -- "$GRAFT" run "$work/r10.s"
expect "run --unchecked" 0 "^r0 = 2432902008176640000" "" -- "$GRAFT" run --unchecked examples/asm/factorial.s
expect "run --jit answers" 0 "" "" -- sh -c "'$GRAFT' run --jit examples/asm/factorial.s >'$work/jit.out' 2>&1; rc=\$?; grep -q 'r0 = 2432902008176640000' '$work/jit.out' || { [ \$rc -eq 1 ] && grep -q 'JIT' '$work/jit.out'; }"
printf '\177ELF\002\001\001' >"$work/fake.o"
expect "run ELF goes to the object loader" 1 "" "." -- "$GRAFT" run "$work/fake.o"
expect "run ELF object options pass through" 1 "" "." -- "$GRAFT" run "$work/fake.o" prog --maps --repeat 2
expect "run ELF from stdin" 1 "" "must be named by its path" -- sh -c "'$GRAFT' run - <'$work/fake.o'"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
