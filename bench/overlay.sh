#!/usr/bin/env bash
# Overlay benchmarks (Linux platform): console round trips
# (bench/overlay_rt.c; as scheduled and on one CPU), traced calls, attach, exec and native loads
# (bench/overlay_trace.c).
set -eu
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
"$BUILD/bench/overlay_rt"
# the same with both ends on one CPU: no cross-CPU wake-ups (see overlay_rt.c)
"$BUILD/bench/overlay_rt" one-cpu
"$BUILD/bench/overlay_trace"
