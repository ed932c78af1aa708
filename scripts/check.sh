#!/usr/bin/env bash
# Runs every test suite and adds up their closing lines.
#
# A suite is a test program build/tests/NAME, a script tests/NAME.sh, or a
# fuzz target's smoke run. Each prints "FAIL ..." lines for failed cases and
# ends with "N passed, N failed". A suite that crashes, times out or prints no
# closing line counts as one failure. Environment: BUILD, FUZZ_BUILD, SAN,
# FUZZ_SMOKE (seconds per fuzz target, default 30), GRAFT_CONFORMANCE.
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
FUZZ_BUILD=${FUZZ_BUILD:-build-fuzz}
FUZZ_SMOKE=${FUZZ_SMOKE:-30}
SUITE_TIMEOUT=${SUITE_TIMEOUT:-600}
export BUILD GRAFT_CONFORMANCE=${GRAFT_CONFORMANCE:-../shared/conformance}
export GRAFT="$BUILD/graft"

total_pass=0 total_fail=0
logdir=$(mktemp -d)
trap 'rm -rf "$logdir"' EXIT

# run_suite NAME CMD... — run one suite, echo its failures and its tally.
run_suite() {
	local name=$1; shift
	local log="$logdir/$name.log" start end rc
	start=$(date +%s.%N)
	timeout --kill-after=10 "$SUITE_TIMEOUT" "$@" >"$log" 2>&1
	rc=$?
	end=$(date +%s.%N)
	local last p f
	last=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
	if [ -z "$last" ]; then
		p=0 f=1
		echo "FAIL $name: no closing line (exit $rc); last output:"
		tail -n 15 "$log" | sed 's/^/    /'
	else
		p=$(echo "$last" | cut -d' ' -f1)
		f=$(echo "$last" | cut -d' ' -f3)
		grep -E '^FAIL ' "$log" | head -n 50 | sed "s/^FAIL /FAIL $name: /"
		if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
			echo "FAIL $name: exit status $rc"
			f=1
		fi
	fi
	printf '%-28s %5d passed, %3d failed  (%.1fs)\n' "$name" "$p" "$f" \
		"$(echo "$end - $start" | bc)"
	total_pass=$((total_pass + p))
	total_fail=$((total_fail + f))
}

for t in "$BUILD"/tests/*; do
	[ -x "$t" ] || continue
	run_suite "$(basename "$t")" "$t"
done
for s in tests/*.sh; do
	[ -f "$s" ] || continue
	run_suite "$(basename "$s" .sh)" bash "$s"
done
# Fuzz smokes: each target first replays its regression inputs, then runs
# FUZZ_SMOKE seconds from its seed corpus.
for fz in "$FUZZ_BUILD"/fuzz_*; do
	[ -x "$fz" ] || continue
	run_suite "$(basename "$fz")-smoke" scripts/fuzz-smoke.sh "$fz" "$FUZZ_SMOKE"
done

echo
echo "$total_pass passed, $total_fail failed"
[ "$total_fail" -eq 0 ]
