#!/usr/bin/env bash
# graft keygen / sign / verify-sig end to end on an example object: a good
# signature, a flipped byte, an unknown key, a missing signature, and the
# policies.
set -u
G=${GRAFT:-build/graft}
OBJ=${BUILD:-build}/examples/bpf/xdp_parser.o
pass=0 fail=0
ok() { if "$@" >/dev/null 2>&1; then pass=$((pass+1)); else fail=$((fail+1)); echo "FAIL: $*"; fi; }
no() { if "$@" >/dev/null 2>&1; then fail=$((fail+1)); echo "FAIL (accepted): $*"; else pass=$((pass+1)); fi; }
has() { local pat=$1; shift; if "$@" 2>&1 | grep -q -- "$pat"; then pass=$((pass+1)); else fail=$((fail+1)); echo "FAIL: '$pat' not in: $*"; fi; }
if [ ! -f "$OBJ" ]; then
	echo "FAIL: $OBJ not built"
	echo "0 passed, 1 failed"
	exit 1
fi
d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT
cp "$OBJ" "$d/x.o"
ok "$G" keygen "$d/alice"
ok "$G" keygen "$d/mallory"
no "$G" keygen "$d/alice"                     # never overwrites a key
ok test "$(stat -c %a "$d/alice.key")" = 600
ok "$G" sign "$d/x.o" --key "$d/alice.key"
has "program xdp_parser xdp verified" cat "$d/x.o.sig"
ok "$G" verify-sig "$d/x.o" --trust "$d/alice.pub"
has "good signature" "$G" verify-sig "$d/x.o" --trust "$d/mallory.pub" --trust "$d/alice.pub"
has "untrusted key" "$G" verify-sig "$d/x.o" --trust "$d/mallory.pub"
no "$G" verify-sig "$d/x.o" --trust "$d/mallory.pub"
has "policy signed: xdp_parser may be loaded" "$G" verify-sig "$d/x.o" --trust "$d/alice.pub" --policy signed --prog xdp_parser
# a flipped byte anywhere in the object
cp "$d/x.o" "$d/y.o"; cp "$d/x.o.sig" "$d/y.o.sig"
printf '\x55' | dd of="$d/y.o" bs=1 seek=200 conv=notrunc 2>/dev/null
has "does not match" "$G" verify-sig "$d/y.o" --trust "$d/alice.pub"
has "refused" "$G" verify-sig "$d/y.o" --trust "$d/alice.pub" --policy signed --prog xdp_parser
# a missing signature
cp "$d/x.o" "$d/z.o"
has "missing signature" "$G" verify-sig "$d/z.o" --trust "$d/alice.pub"
has "no signature" "$G" verify-sig "$d/z.o" --trust "$d/alice.pub" --policy signed --prog xdp_parser
# an altered statement (the verdict changed by hand)
sed 's/ verified$/ unverified/' "$d/x.o.sig" > "$d/x2.sig"
has "bad signature" "$G" verify-sig "$d/x.o" --sig "$d/x2.sig" --trust "$d/alice.pub"
# a bad key file
echo nothex > "$d/bad.pub"
has "not a public key" "$G" verify-sig "$d/x.o" --trust "$d/bad.pub"
has "not a secret key" "$G" sign "$d/x.o" --key "$d/alice.pub"
echo "sign cli: keygen, sign, verify-sig: good, tampered, untrusted, missing, altered, bad keys"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
