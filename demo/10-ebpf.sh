#!/usr/bin/env bash
# demo/10-ebpf.sh — the eBPF engine from the command line: assemble a few
# example programs (examples/asm/), show them in both disassembly syntaxes,
# run them, and show how graft stops a faulty and a runaway program.
set -u
cd "$(dirname "$0")/.."
GRAFT=${GRAFT:-${BUILD:-build}/graft}
work=${BUILD:-build}/demo-ebpf
mkdir -p "$work"

if [ -t 1 ]; then bold=$'\033[1m' plain=$'\033[0m'; else bold='' plain=''; fi
say() { printf '\n%s== %s%s\n' "$bold" "$*" "$plain"; }
show() { printf '$ %s\n' "$*"; "$@" 2>&1; }

say "eBPF: assemble, disassemble, run (graft asm / disasm / run)"
echo "The programs are in examples/asm/, written in the conformance suite's"
echo "assembly syntax."

say "1. factorial: a loop computing 20!"
sed -n '/^[^#]/p' examples/asm/factorial.s
show "$GRAFT" asm examples/asm/factorial.s -o "$work/factorial.bin"
echo "($(wc -c <"$work/factorial.bin") bytes = $(( $(wc -c <"$work/factorial.bin") / 8 )) instructions)"
show "$GRAFT" asm --hex examples/asm/factorial.s
echo "-- back to text, suite syntax (assembles to the same bytes):"
show "$GRAFT" disasm "$work/factorial.bin"
echo "-- kernel (verifier-log) syntax:"
show "$GRAFT" disasm --kernel "$work/factorial.bin"
show "$GRAFT" run examples/asm/factorial.s
show "$GRAFT" run "$work/factorial.bin"
echo "-- the same program compiled to x86-64 by the JIT:"
show "$GRAFT" run --jit "$work/factorial.bin"

say "2. checksum: a loop over memory (the IPv4 header checksum)"
grep -v '^#' examples/asm/checksum.mem
show "$GRAFT" run examples/asm/checksum.s --mem examples/asm/checksum.mem
echo "(0xb861 is the header's checksum)"

say "3. calls: a helper (trace_printk) and a bpf-to-bpf call"
"$GRAFT" asm examples/asm/calls.s -o "$work/calls.bin"
show "$GRAFT" disasm --kernel "$work/calls.bin"
show "$GRAFT" run examples/asm/calls.s

say "4. fault: a checked program reads past its input"
show "$GRAFT" run examples/asm/fault.s --mem examples/asm/fault.mem
echo "(exit status $? — the host process goes on)"

say "5. runaway: an endless loop meets the instruction budget"
show "$GRAFT" run examples/asm/runaway.s --budget 10000
echo "(exit status $?)"

say "6. a typo: the assembler says where and why"
printf 'mov %%r0, 1\nldxw %%r0, [%%r11+4]\nexit\n' >"$work/typo.s"
cat "$work/typo.s"
show "$GRAFT" asm "$work/typo.s" -o "$work/typo.bin"
echo "(exit status $?)"
exit 0
