#!/usr/bin/env bash
# demo/60-kvstore.sh — the overlay end to end: apps/kvstore booted as a
# unikernel under QEMU (-cpu max: protection keys under TCG), kvload driving
# checked get/set/del at it through the guest's UDP path, and an operator
# on `graft console` looking at its log, reloading its configuration,
# tracing its request handler, running eBPF and native programs against it
# — while the store keeps answering.
set -u
cd "$(dirname "$0")/.."
B=${BUILD:-build}
GRAFT=$B/graft
KVLOAD=$B/bench/kvload
if [ -t 1 ]; then bold=$'\033[1m' plain=$'\033[0m'; else bold='' plain=''; fi
say() { printf '\n%s== %s%s\n' "$bold" "$*" "$plain"; }
tmp=$(mktemp -d)
vpid= lpid=
cleanup() {
	for p in $lpid $vpid; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
SOCK=$tmp/console.sock
mkdir "$tmp/share"
cp "$B"/kvstore/bpf/*.o "$B"/kvstore/native/*.o "$tmp/share/"
printf 'name=demo-store\nmax_keys=4096\nlog=1\n' >"$tmp/share/kv.conf"
pa=$((20000 + RANDOM % 20000)); pb=$((pa + 1))

say "A key-value store as a unikernel: $(stat -c %s "$B/kernel/kvstore.elf") bytes of image"
echo "\$ graft vm run --net socket:$pa:$pb --ip 10.0.0.1 --console SOCK --share SHARE kvstore.elf -- -c /share/kv.conf"
"$GRAFT" vm run --timeout 120 --net "socket:$pa:$pb" --ip 10.0.0.1 --console "$SOCK" \
	--share "$tmp/share" "$B/kernel/kvstore.elf" -- -c /share/kv.conf >"$tmp/guest.out" 2>&1 &
vpid=$!
for _ in $(seq 150); do
	"$KVLOAD" --frames "$pb:$pa:10.0.0.1:7070" --wait 1000 -c "1 info" >/dev/null 2>&1 && break
	sleep 0.2
done
sed 's/^/  guest| /' "$tmp/guest.out"
echo "\$ kvload --frames ... -w 8   (get/set/del in the background, every reply checked)"
"$KVLOAD" --frames "$pb:$pa:10.0.0.1:7070" -d 120 -w 8 --progress "$tmp/progress" >"$tmp/load.out" 2>&1 &
lpid=$!
sleep 1
# step CMD [FILTER]: a console command that must succeed; fails CMD: one
# that must end with an error status (the faulty programs). Any other
# outcome makes the demo fail at the end, after every step has shown.
bad=0
run_step() {
	echo "\$ graft console SOCK -c '$2'"
	"$GRAFT" console "$SOCK" -c "$2" 2>&1 | ${3:-cat}
	local rc=${PIPESTATUS[0]}
	if { [ "$1" = ok ] && [ "$rc" != 0 ]; } || { [ "$1" = err ] && [ "$rc" != 1 ]; }; then
		echo "   (demo: unexpected exit status $rc)"
		bad=$((bad + 1))
	fi
}
step() { run_step ok "$@"; }
fails() { run_step err "$@"; }
served() { echo "   (store under load: $(cat "$tmp/progress" 2>/dev/null))"; }

say "Its files: the request log, live"
step "ls"
step "cat kvstore.log" "tail -n 4"

say "kill SIGHUP: the store re-reads its configuration"
printf 'name=renamed-by-the-demo\nmax_keys=4096\nlog=1\n' >"$tmp/share/kv.conf"
echo "(kv.conf on the share now says name=renamed-by-the-demo)"
step "kill SIGHUP"
sleep 0.3
step "bpf_exec /share/vars.o config_gen"

say "bpf_exec: read a variable of the running store by symbol"
step "bpf_exec /share/vars.o requests"
served

say "bpf_attach: a call counter on the request handler"
step "bpf_attach kv_handle_request /share/counter.o count"
sleep 1
step "bpf_map_dump kv_calls"
step "bpf_list"

say "A faulty program is stopped with a clear error; the store keeps answering"
fails "bpf_exec /share/faulty.o wild"
fails "bpf_exec /share/faulty.o spin"
served
step "bpf_attach kv_handle_request /share/faulty.o wild_entry"
served
sleep 0.5
served
step "bpf_list"

say "Native programs: one reads the request counter, one tries to write it"
step "load /share/reader.o"
step "run reader"
step "load /share/writer.o"
fails "run writer"
step "stats" "grep -i protection"
served

say "bpf_detach"
step "bpf_detach kv_handle_request"
step "bpf_list"

say "The load, start to end"
kill -TERM "$lpid"; wait "$lpid" || bad=$((bad + 1)); lpid=
cat "$tmp/load.out"
"$KVLOAD" --frames "$pb:$pa:10.0.0.1:7070" -c "9 info" || bad=$((bad + 1))
if [ "$bad" != 0 ]; then
	echo "demo: $bad steps did not go as shown; the guest said:"
	sed 's/^/  guest| /' "$tmp/guest.out"
	exit 1
fi
