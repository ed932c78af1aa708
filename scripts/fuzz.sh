#!/usr/bin/env bash
# fuzz.sh SECONDS — run every fuzz target for SECONDS, as `make check` does
# for its smoke, and close with the usual tally.
set -u
cd "$(dirname "$0")/.."
FUZZ_BUILD=${FUZZ_BUILD:-build-fuzz}
FUZZ_SMOKE=$1 SUITE_TIMEOUT=$(( $1 + 120 )) BUILD=/nonexistent \
	FUZZ_BUILD=$FUZZ_BUILD exec scripts/check.sh
