#!/usr/bin/env bash
# graft verify on example objects: the per-program line (verdict,
# instructions, states, time), a rejection report with pc, instruction,
# reason, register state and C source line, --log's trace, bad input.
set -u
G=${GRAFT:-build/graft}
EX=${BUILD:-build}/examples/bpf
pass=0 fail=0
has() { local pat=$1; shift; if "$@" 2>&1 | grep -q -- "$pat"; then pass=$((pass+1)); else fail=$((fail+1)); echo "FAIL: '$pat' not in: $*"; fi; }
rc() { local want=$1; shift; "$@" >/dev/null 2>&1; local got=$?; if [ "$got" = "$want" ]; then pass=$((pass+1)); else fail=$((fail+1)); echo "FAIL: exit $got, wanted $want: $*"; fi; }
if [ ! -f "$EX/xdp_parser.o" ]; then
	echo "FAIL: examples not built"; echo "0 passed, 1 failed"; exit 1
fi
has "xdp_parser (xdp, xdp): accepted  insns [0-9]*  states [0-9]*  processed [0-9]*  time" "$G" verify "$EX/xdp_parser.o"
rc 0 "$G" verify "$EX/xdp_parser.o"
# the same program as a trace program: its context is not an xdp_md
has "xdp_parser (xdp, trace): rejected" "$G" verify "$EX/xdp_parser.o" --type trace
has "EPERM: pc [0-9]* (" "$G" verify "$EX/xdp_parser.o" --type trace
has "state: R" "$G" verify "$EX/xdp_parser.o" --type trace
has "source: .*xdp_parser.c:[0-9]*" "$G" verify "$EX/xdp_parser.o" --type trace
rc 1 "$G" verify "$EX/xdp_parser.o" --type trace
has "^  [0-9]*: .*; R1=ctx" "$G" verify "$EX/xdp_parser.o" --log
has "accepted" "$G" verify "$EX/ringbuf.o"
has "accepted" "$G" verify "$EX/calls.o"
has "no program 'nope'" "$G" verify "$EX/xdp_parser.o" --prog nope
has "unknown type" "$G" verify "$EX/xdp_parser.o" --type bogus
printf 'not an object' > "${TMPDIR:-/tmp}/graft-verify-cli.$$"
has "EINVAL" "$G" verify "${TMPDIR:-/tmp}/graft-verify-cli.$$"
rm -f "${TMPDIR:-/tmp}/graft-verify-cli.$$"
rc 2 "$G" verify
# the section's attach type narrows the return range
VB=${BUILD:-build}/verify_bpf
has "bind_ret2 (cgroup/bind4, cgroup_sock_addr): accepted" "$G" verify "$VB/cgroup_ret.o"
has "peer_ret0 (cgroup/getpeername4, cgroup_sock_addr): rejected" "$G" verify "$VB/cgroup_ret.o"
echo "verify cli: verdict lines, rejection report with source line, --log trace, bad input, attach-type return ranges"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
