#!/usr/bin/env bash
# The tour: every demo/*.sh in order (each prints what it shows).
set -eu
cd "$(dirname "$0")/.."
export BUILD=${BUILD:-build}
for d in demo/*.sh; do
	[ -f "$d" ] || continue
	bash "$d"
done
