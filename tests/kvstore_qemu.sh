#!/usr/bin/env bash
# tests/kvstore_qemu.sh — apps/kvstore as a unikernel under QEMU (-cpu max,
# TCG): every overlay command, good and bad, over the virtio console while
# kvload drives checked requests through the guest's UDP path (Ethernet
# frames on a QEMU socket netdev) — tests/kvstore_lib.inc.
set -u
cd "$(dirname "$0")/.."
work=$(mktemp -d)
spid=
trap '[ -n "$spid" ] && kill "$spid" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT
. tests/kvstore_lib.inc
if ! command -v qemu-system-x86_64 >/dev/null 2>&1; then
	echo "qemu-system-x86_64 missing: run scripts/deps.sh"
	echo "0 passed, 1 failed"
	exit 1
fi
SOCK=$work/console.sock
pa=$((20000 + RANDOM % 20000)); pb=$((pa + 1))
KVNET=(--frames "$pb:$pa:10.0.0.1:7070")
prepare_share
timeout 200 "$GRAFT" vm run --timeout 180 --net "socket:$pa:$pb" --ip 10.0.0.1 \
	--console "$SOCK" --share "$work/share" "$BUILD/kernel/kvstore.elf" -- \
	-c /share/kv.conf >"$work/store.out" 2>&1 &
spid=$!
serve_and_check 30 "guest store"
