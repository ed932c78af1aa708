#!/usr/bin/env bash
# tests/kvstore_linux.sh — apps/kvstore on the Linux platform: every overlay
# command, good and bad, against the live store while kvload drives checked
# requests at it (tests/kvstore_lib.inc).
set -u
cd "$(dirname "$0")/.."
work=$(mktemp -d)
spid=
trap '[ -n "$spid" ] && kill "$spid" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT
. tests/kvstore_lib.inc
SOCK=$work/console.sock
port=$((20000 + RANDOM % 20000))
KVNET=(--udp "127.0.0.1:$port")
prepare_share
mkdir "$work/root"
GRAFT_ROOT=$work/root GRAFT_SHARE=$work/share GRAFT_CONSOLE=$SOCK \
	timeout 120 "$BUILD/apps/kvstore" -p "$port" -c /share/kv.conf >"$work/store.out" 2>&1 &
spid=$!
serve_and_check 10 "store"
