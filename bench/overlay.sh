#!/usr/bin/env bash
# Overlay console benchmarks (Linux platform): see bench/overlay_rt.c.
set -eu
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
"$BUILD/bench/overlay_rt"
