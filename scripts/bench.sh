#!/usr/bin/env bash
# Runs every benchmark script bench/*.sh in order; each prints its own table
# of medians and ratios against anchors measured in the same run.
set -u
cd "$(dirname "$0")/.."
export BUILD=${BUILD:-build}
status=0
for b in bench/*.sh; do
	[ -f "$b" ] || continue
	echo "== $(basename "$b" .sh)"
	bash "$b" || status=1
	echo
done
exit $status
