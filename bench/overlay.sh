#!/usr/bin/env bash
# Overlay benchmarks (Linux platform): console round trips
# (bench/overlay_rt.c), traced calls, attach, exec and native loads
# (bench/overlay_trace.c).
set -eu
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
"$BUILD/bench/overlay_rt"
"$BUILD/bench/overlay_trace"
