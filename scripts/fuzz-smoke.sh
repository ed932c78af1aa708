#!/usr/bin/env bash
# fuzz-smoke.sh TARGET SECONDS — replay fuzz/regress/NAME/*, then fuzz for
# SECONDS from fuzz/corpus/NAME (copied, so the tree is never written).
# Prints "N passed, N failed": one case per regression file plus the run.
set -u
target=$1 secs=$2
name=$(basename "$target")
pass=0 fail=0
if [ -d "fuzz/regress/$name" ]; then
	for f in fuzz/regress/"$name"/*; do
		[ -f "$f" ] || continue
		if "$target" "$f" >/dev/null 2>&1; then
			pass=$((pass + 1))
		else
			fail=$((fail + 1)); echo "FAIL regression $f"
		fi
	done
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
[ -d "fuzz/corpus/$name" ] && cp -r "fuzz/corpus/$name/." "$work/"
if "$target" -max_total_time="$secs" -print_final_stats=1 \
	-artifact_prefix="$work/crash-" "$work" >"$work.log" 2>&1; then
	pass=$((pass + 1))
	grep -E 'stat::number_of_executed_units' "$work.log" | sed 's/^/    /'
else
	fail=$((fail + 1))
	echo "FAIL $name: fuzzing found a crash:"
	grep -E 'ERROR|SUMMARY|==[0-9]+==' "$work.log" | head -n 10 | sed 's/^/    /'
	# Keep what it found: the crash becomes a regression file once fixed.
	keep=$(dirname "$target")/crashes/$name
	mkdir -p "$keep"
	for c in "$work"/crash-*; do
		[ -f "$c" ] && cp "$c" "$keep/" && echo "    kept: $keep/$(basename "$c")"
	done
fi
rm -f "$work.log"
echo "$pass passed, $fail failed"
