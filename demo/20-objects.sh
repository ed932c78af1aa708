#!/usr/bin/env bash
# demo/20-objects.sh — eBPF programs written in C and built by clang exactly
# as for libbpf: graft loads the objects unchanged, runs them with their maps
# (interpreter and JIT), verifies them statically, and signs them.
set -u
cd "$(dirname "$0")/.."
B=${BUILD:-build}
GRAFT=$B/graft
OBJ=$B/examples/bpf
work=$B/demo-objects
mkdir -p "$work"

if [ -t 1 ]; then bold=$'\033[1m' plain=$'\033[0m'; else bold='' plain=''; fi
say() { printf '\n%s== %s%s\n' "$bold" "$*" "$plain"; }
show() { printf '$ %s\n' "$*"; "$@" 2>&1; }

say "eBPF objects from clang -O2 -g -target bpf (examples/bpf/)"
say "1. what is inside an object: programs, maps, relocations"
show "$GRAFT" inspect "$OBJ/tailcall.o" | sed -n '/^programs/,$p' | head -n 25

say "2. run a call counter; its hash map is printed after the run"
show "$GRAFT" run "$OBJ/counter.o" --maps
echo "-- the same object through the x86-64 JIT:"
show "$GRAFT" run "$OBJ/counter.o" --maps --jit

say "3. the static verifier: which programs are provably safe"
show "$GRAFT" verify "$OBJ/xdp_parser.o"
show "$GRAFT" verify "$OBJ/counter.o"

say "4. sign on the host, check before loading (Ed25519 via libsodium)"
show "$GRAFT" keygen "$work/operator"
show "$GRAFT" sign "$OBJ/xdp_parser.o" --key "$work/operator.key" -o "$work/xdp_parser.sig"
show "$GRAFT" verify-sig "$OBJ/xdp_parser.o" --sig "$work/xdp_parser.sig" --trust "$work/operator.pub"
echo "-- one byte of the object flipped: refused"
cp "$OBJ/xdp_parser.o" "$work/tampered.o"
printf '\xff' | dd of="$work/tampered.o" bs=1 seek=300 conv=notrunc status=none
show "$GRAFT" verify-sig "$work/tampered.o" --sig "$work/xdp_parser.sig" --trust "$work/operator.pub"
echo "(exit status $?)"
exit 0
