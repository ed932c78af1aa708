#!/usr/bin/env bash
# graft inspect and graft run on the example objects: the listing names
# programs, maps, relocations and BTF; run prints r0, the trace log and
# maps; bad input gives one error line and a failing exit status.
set -u
G=${GRAFT:-build/graft}
D=${BUILD:-build}/examples/bpf
pass=0 fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

check() { # NAME EXPECTED-SUBSTRING OUTPUT
	if grep -qF -- "$2" <<<"$3"; then
		pass=$((pass + 1))
	else
		fail=$((fail + 1))
		echo "FAIL $1: no '$2' in:"
		head -n 20 <<<"$3" | sed 's/^/    /'
	fi
}

out=$("$G" inspect "$D/tailcall.o" 2>&1)
check "inspect programs" "programs (4):" "$out"
check "inspect prog array" "jump             btf    prog_array key 4 value 4 entries 4 flags 0x0 [1]=stage1 [2]=stage2 [3]=loop" "$out"
check "inspect relocation" "R_BPF_64_ABS64  prog  stage1" "$out"
check "inspect btf" "btf: 34 types, 4 func_info" "$out"
check "inspect line" "tailcall.c:34" "$out"
out=$("$G" inspect "$D/calls.o" 2>&1)
check "inspect linked calls" "calls                section xdp          24 insns, calls square@14 add3@17" "$out"
check "inspect call reloc" "R_BPF_64_32     call  add3" "$out"
out=$("$G" inspect "$D/globals.o" 2>&1)
check "inspect rodata" ".rodata          data   array      key 4 value 4 entries 1 flags 0x80" "$out"

out=$("$G" inspect --disasm "$D/calls.o" 2>&1)
check "disasm linked call" "call pc-7" "$out"
check "disasm source line" "; calls.c:7: 	return x * x;" "$out"
out=$("$G" inspect --disasm "$D/counter.o" 2>&1)
check "disasm map reference" "; map counts+0" "$out"

out=$("$G" run "$D/strings.o" 2>&1)
check "run printk" "hello from graft: 64 bytes" "$out"
check "run r0" "r0 = 55 (0x37)" "$out"
printf '\x05\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00' >"$tmp/pkt"
out=$("$G" run "$D/counter.o" count --ctx "$tmp/pkt" --repeat 3 --maps 2>&1)
check "run repeat" "r0 = 3 (0x3)" "$out"
check "run maps" "05000000 -> 0300000000000000 (3)" "$out"
out=$("$G" run "$D/tailcall.o" entry --jit 2>&1)
check "run tail calls jit" "r0 = 123 (0x7b)" "$out"
out=$("$G" run "$D/ringbuf.o" --maps 2>&1)
check "run ringbuf records" "record 8 bytes: 01ab000000000000" "$out"
out=$("$G" run "$D/graft_own.o" 2>&1)
check "run graft helpers" "len=64" "$out"

out=$("$G" inspect "$D/bad/kfunc.o" 2>&1); rc=$?
check "kfunc refused" "ENOTSUP: section xdp offset 0: call of kfunc" "$out"
[ "$rc" -ne 0 ] && pass=$((pass + 1)) || { fail=$((fail + 1)); echo "FAIL kfunc exit 0"; }
head -c 100 "$D/counter.o" >"$tmp/trunc.o"
out=$("$G" inspect "$tmp/trunc.o" 2>&1); rc=$?
check "truncated refused" "past the end" "$out"
[ "$rc" -ne 0 ] && pass=$((pass + 1)) || { fail=$((fail + 1)); echo "FAIL truncated exit 0"; }
out=$("$G" run "$D/counter.o" nosuchprog 2>&1); rc=$?
check "unknown program" "no program nosuchprog" "$out"
[ "$rc" -ne 0 ] && pass=$((pass + 1)) || { fail=$((fail + 1)); echo "FAIL unknown prog exit 0"; }

echo "inspect and run on the example objects"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
