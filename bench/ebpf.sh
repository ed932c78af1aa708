#!/usr/bin/env bash
# eBPF engines against their anchors: graft's interpreter and JIT, native
# gcc -O2 and the Linux kernel's JIT, on the same programs in one run.
# Exits 0 when the benchmark ran; 1 when an engine disagreed with the
# others or a run failed (the runner prints which). Arguments pick parts:
# bench/ebpf.sh fib sort jit-compile maps
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
exec "$BUILD/bench/ebpf_bench" "$BUILD/bench/progs" "$@"
