# tests/kernel_lib.sh — what the kernel test scripts share (sourced, not a suite).
# check NAME COND...: one case; vm TIMEOUT ARGS...: boot with output in $out.
BUILD=${BUILD:-build}
GRAFT=${GRAFT:-$BUILD/graft}
KIMG=$BUILD/kernel
pass=0 fail=0
out=$(mktemp)
trap 'rm -f "$out"' EXIT

ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL $*"; sed 's/^/    | /' "$out" | tail -n 12; }

# vm SECONDS [graft vm run args...]: runs the guest, sets $rc and $out.
vm() {
	local t=$1; shift
	timeout --kill-after=5 $((t + 10)) "$GRAFT" vm run --timeout "$t" "$@" >"$out" 2>&1
	rc=$?
}

# expect NAME RC PATTERN...: rc must equal RC and each grep pattern appear.
expect() {
	local name=$1 want=$2; shift 2
	if [ "$rc" -ne "$want" ]; then
		bad "$name: exit status $rc, want $want"
		return
	fi
	for p in "$@"; do
		if ! grep -qE -- "$p" "$out"; then
			bad "$name: output lacks /$p/"
			return
		fi
	done
	ok
}

done_suite() {
	echo "$pass passed, $fail failed"
	[ "$fail" -eq 0 ]
}

have_qemu() { command -v qemu-system-x86_64 >/dev/null 2>&1; }
