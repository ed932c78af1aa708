#!/usr/bin/env bash
# `graft console` against the Linux-side test server (overlay_socket
# --serve): -c, stdin scripts, exit codes from the status line, framing of
# data that looks like a status line, -k, a dead socket, a server killed
# while a command is in flight.
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
GRAFT=${GRAFT:-$BUILD/graft}
SERVER=$BUILD/tests/overlay_socket
pass=0 fail=0
check() { # check NAME CONDITION-RESULT DETAIL
	if [ "$2" -eq 0 ]; then pass=$((pass + 1)); else
		fail=$((fail + 1)); echo "FAIL $1: $3"; fi
}
tmp=$(mktemp -d)
srv=
cleanup() { [ -n "$srv" ] && kill "$srv" 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
mkdir "$tmp/app"
printf 'v1\n' >"$tmp/app/config"
printf 'ok\nerror: fake\n\\slash\nplain\n' >"$tmp/app/tricky"
start_server() {
	"$SERVER" --serve "$tmp/sock" "$tmp/app" >"$tmp/server.log" 2>&1 &
	srv=$!
	for _ in $(seq 100); do [ -S "$tmp/sock" ] && return 0; sleep 0.05; done
	echo "FAIL server did not start"; return 1
}
start_server || { echo "0 passed, 1 failed"; exit 1; }

out=$("$GRAFT" console -c 'echo hello' "$tmp/sock"); rc=$?
[ $rc -eq 0 ] && [ "$out" = $'hello\nok' ]; check "-c echo" $? "rc=$rc out=[$out]"

out=$("$GRAFT" console -q -c 'cat tricky' "$tmp/sock"); rc=$?
[ $rc -eq 0 ] && [ "$out" = $'ok\nerror: fake\n\\slash\nplain\nok 28 bytes' ]
check "framing" $? "rc=$rc out=[$out]"

out=$("$GRAFT" console -c 'cat nope' "$tmp/sock" 2>"$tmp/err"); rc=$?
check "error exit code" $(( rc != 1 )) "rc=$rc"
grep -q '^error: cat: nope: No such file' "$tmp/err"; check "error on stderr" $? "$(cat "$tmp/err")"

"$GRAFT" console -c 'frob' "$tmp/sock" 2>"$tmp/err"; rc=$?
check "unknown command" $(( rc != 1 )) "rc=$rc"
grep -q "^error: unknown command 'frob' (try 'help')" "$tmp/err"; check "unknown text" $? "$(cat "$tmp/err")"

out=$(printf 'echo a\ncat nope\necho b\n' | "$GRAFT" console "$tmp/sock" 2>/dev/null); rc=$?
check "stdin stops at first error" $(( rc != 1 )) "rc=$rc out=[$out]"
[ "$out" = $'a\nok' ]; check "stdin output before error" $? "[$out]"

out=$(printf 'echo a\ncat nope\necho b\n' | "$GRAFT" console -k "$tmp/sock" 2>/dev/null); rc=$?
check "-k keeps going" $(( rc != 1 )) "rc=$rc"
[ "$out" = $'a\nok\nb\nok' ]; check "-k output" $? "[$out]"

printf 'v2\n' >"$tmp/app/config"
"$GRAFT" console -c 'kill SIGHUP' "$tmp/sock" >/dev/null; rc=$?
check "kill HUP" $(( rc != 0 )) "rc=$rc"
# The app's thread takes the signal on its own time: look a few times.
for _ in $(seq 50); do
	out=$("$GRAFT" console -c stats "$tmp/sock")
	echo "$out" | grep -q 'config generation 2' && break
	sleep 0.02
done
echo "$out" | grep -q 'config generation 2'; check "app reloaded on SIGHUP" $? "[$out]"

# 1,000 garbage lines on stdin with -k: one reply each, server still up.
head -c 300000 /dev/urandom | tr '\n' 'x' | fold -b -w 200 | head -n 1000 >"$tmp/garbage"
"$GRAFT" console -k "$tmp/sock" <"$tmp/garbage" >"$tmp/g.out" 2>"$tmp/g.err"
n=$(grep -c '^error: ' "$tmp/g.err")
check "garbage replies" $(( n < 990 )) "only $n error replies"
out=$("$GRAFT" console -c 'echo alive' "$tmp/sock"); rc=$?
check "alive after garbage" $(( rc != 0 )) "rc=$rc"

"$GRAFT" console "$tmp/nosock" -c help 2>/dev/null; rc=$?
check "no socket" $(( rc != 1 )) "rc=$rc"
"$GRAFT" console 2>/dev/null; rc=$?
check "usage" $(( rc != 2 )) "rc=$rc"
"$GRAFT" console -c $'echo a\necho b' "$tmp/sock" 2>/dev/null; rc=$?
check "two lines in one -c refused" $(( rc != 1 )) "rc=$rc"

# The server goes away while a long reply is in flight: exit 1, clear text.
head -c 5000000 /dev/zero | tr '\0' 'z' | fold -w 100 >"$tmp/app/big"
("$GRAFT" console -c 'cat big' "$tmp/sock" >"$tmp/lost.out" 2>"$tmp/lost.err"; echo $? >"$tmp/lost.rc") &
cpid=$!
# Kill the server once the reply has begun to arrive.
for _ in $(seq 500); do [ -s "$tmp/lost.out" ] && break; sleep 0.01; done
kill -9 "$srv"; wait "$srv" 2>/dev/null; srv=
wait "$cpid"
rc=$(cat "$tmp/lost.rc")
if grep -q 'connection closed before the reply ended' "$tmp/lost.err"; then
	check "server lost mid-reply" $(( rc != 1 )) "rc=$rc"
else
	# The whole reply may have arrived before the kill on a fast machine.
	check "server lost mid-reply" $(( rc != 0 )) "rc=$rc $(cat "$tmp/lost.err")"
fi
echo "console: -c, stdin, -k, exit codes, framing, garbage, lost server"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
