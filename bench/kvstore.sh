#!/usr/bin/env bash
# bench/kvstore.sh — request throughput of apps/kvstore with nothing
# attached vs a call counter (apps/kvstore/probes/bpf/counter.c) attached
# to its request handler kv_handle_request, on the Linux platform and as a
# unikernel under QEMU (TCG), plus the image's size. Target: < 5% loss.
#
# Each round measures both configurations back to back in the same store
# (bench/kvload: -w 16 requests in flight, every reply checked, for
# KV_BENCH_SECS seconds); the table shows medians over KV_BENCH_ROUNDS
# rounds (defaults 5 and 2).
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
GRAFT=$BUILD/graft
KVLOAD=$BUILD/bench/kvload
ROUNDS=${KV_BENCH_ROUNDS:-5}
SECS=${KV_BENCH_SECS:-2}
tmp=$(mktemp -d)
spid=
trap '[ -n "$spid" ] && kill "$spid" 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"' EXIT
mkdir "$tmp/share" "$tmp/root"
cp "$BUILD/kvstore/bpf/counter.o" "$tmp/share/"
printf 'name=bench\nmax_keys=4096\nlog=1\n' >"$tmp/share/kv.conf"

median() { sort -n | awk '{v[NR] = $1} END {if (NR) print v[int((NR + 1) / 2)]; else print 0}'; }
con() { "$GRAFT" console "$SOCK" -c "$1" 2>&1; }
# measure: one run of the load; prints req/s (0 if any reply was wrong or lost).
measure() {
	local out
	out=$("$KVLOAD" "${KVNET[@]}" -d "$SECS" -w 16 2>&1) || { echo 0; return; }
	echo "$out" | sed -nE 's/.* = ([0-9]+) req\/s.*/\1/p'
}

# bench_store PLATFORM: the rounds against the running store.
bench_store() {
	local name=$1 r base=() counted=() note=""
	measure >/dev/null # warm up
	for r in $(seq "$ROUNDS"); do
		base+=("$(measure)")
		local a
		a=$(con "bpf_attach kv_handle_request /share/counter.o count")
		if [ "${a#ok}" = "$a" ]; then
			note=$(echo "$a" | tail -n 1)
			continue
		fi
		counted+=("$(measure)")
		calls=$(con "bpf_map_dump kv_calls" | sed -nE 's/^0 = ([0-9]+)$/\1/p')
		con "bpf_detach kv_handle_request" >/dev/null
	done
	local mb mc
	mb=$(printf '%s\n' "${base[@]}" | median)
	if [ ${#counted[@]} -gt 0 ]; then
		mc=$(printf '%s\n' "${counted[@]}" | median)
		printf '%-22s %12s %12s %8s   (runs: %s | %s; its map counted %s calls over all rounds)\n' \
			"$name" "$mb" "$mc" "$(awk -v b="$mb" -v c="$mc" 'BEGIN {printf "%.1f%%", b ? (b - c) * 100 / b : 0}')" \
			"${base[*]}" "${counted[*]}" "${calls:-?}"
	else
		printf '%-22s %12s %12s %8s   (runs: %s; counter not attached: %s)\n' \
			"$name" "$mb" "n/a" "n/a" "${base[*]}" "$note"
	fi
}

echo "kvstore request throughput, req/s, median of $ROUNDS rounds of $SECS s (-w 16, every reply checked); target: < 5% loss"
printf '%-22s %12s %12s %8s\n' "platform" "nothing" "counter" "loss"

SOCK=$tmp/linux.sock
port=$((20000 + RANDOM % 20000))
KVNET=(--udp "127.0.0.1:$port")
GRAFT_ROOT=$tmp/root GRAFT_SHARE=$tmp/share GRAFT_CONSOLE=$SOCK \
	"$BUILD/apps/kvstore" -p "$port" -c /share/kv.conf >"$tmp/linux.out" 2>&1 &
spid=$!
for _ in $(seq 50); do "$KVLOAD" "${KVNET[@]}" -c "1 info" >/dev/null 2>&1 && [ -S "$SOCK" ] && break; sleep 0.1; done
bench_store "linux"
kill "$spid"; wait "$spid" 2>/dev/null; spid=

if command -v qemu-system-x86_64 >/dev/null 2>&1; then
	SOCK=$tmp/qemu.sock
	pa=$((20000 + RANDOM % 20000)); pb=$((pa + 1))
	KVNET=(--frames "$pb:$pa:10.0.0.1:7070")
	KIMG=$BUILD/kernel
	. scripts/kvm.sh
	echo "unikernel accelerator: $kvm_note"
	"$GRAFT" vm run --timeout 600 $kvm --net "socket:$pa:$pb" --ip 10.0.0.1 --console "$SOCK" \
		--share "$tmp/share" "$BUILD/kernel/kvstore.elf" -- -c /share/kv.conf >"$tmp/qemu.out" 2>&1 &
	spid=$!
	"$KVLOAD" "${KVNET[@]}" --wait 30000 -c "1 info" >/dev/null 2>&1
	bench_store "unikernel (QEMU ${kvm:+KVM}${kvm:-TCG})"
	kill "$spid"; wait "$spid" 2>/dev/null; spid=
fi

img=$BUILD/kernel/kvstore.elf
echo
echo "kvstore image: $(stat -c %s "$img") bytes on disk ($(size -A "$img" | awk '$1 == ".text" {t = $2} $1 == ".graft_syms" {s = $2} END {printf "text %d, symbol table %d", t, s}')); loaded: $(size "$img" | awk 'NR == 2 {printf "text %d + data %d + bss %d = %d bytes", $1, $2, $3, $4}')"
echo "hello image for comparison: $(stat -c %s "$BUILD/kernel/hello.elf") bytes"
