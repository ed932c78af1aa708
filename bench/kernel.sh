#!/usr/bin/env bash
# bench/kernel.sh — the unikernel's size, boot time and memory, against
# the anchors from the seeds (Unikraft images 2-5 MB, cold start 276 ms to
# 1.85 s, guests using 93-150 MB) and the targets (image < 1 MB, launch-to-
# exit < 150 ms under TCG, boot to main < 10 ms under KVM, runs in 16 MB).
# Times are medians of RUNS runs (default 7) on this host, TCG unless
# KVM can run the guest (scripts/kvm.sh); a busy host inflates them.
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
GRAFT=$BUILD/graft
KIMG=$BUILD/kernel
RUNS=${RUNS:-7}
if ! command -v qemu-system-x86_64 >/dev/null; then
	echo "kernel bench: qemu-system-x86_64 missing (scripts/deps.sh)"
	exit 1
fi
. scripts/kvm.sh
echo "accelerator: $kvm_note"

median() { sort -n | awk '{a[NR]=$1} END {if (NR) print a[int((NR+1)/2)]; else print "nan"}'; }
ms() { awk -v ns="$1" 'BEGIN {printf "%.1f", ns / 1e6}'; }
loadable() {
	local s=0 sz
	for sz in $(readelf -lW "$1" | awk '$1 == "LOAD" {print $5}'); do s=$((s + sz)); done
	echo "$s"
}

printf '%-44s %12s  %s\n' "measure" "value" "anchor / target"
# TCG times scale with how busy the host is: say how busy it was.
printf '%-44s %12s\n' "host load average (1 min) at start" "$(cut -d' ' -f1 /proc/loadavg)"
for img in none hello; do
	f=$KIMG/$img.elf
	printf '%-44s %9d KB  %s\n' "image size, $img (ELF file, with debug info)" $(( $(stat -c %s "$f") / 1024 )) "Unikraft 2-5 MB; target < 1024 KB"
	printf '%-44s %9d KB\n' "image size, $img (loaded bytes)" $(( $(loadable "$f") / 1024 ))
done

# Nanoseconds from bash itself: `$(date +%s%N)` forks and execs a
# process, which costs 5-10 ms on this kind of VM and lands in the span.
now_ns() { local t=${EPOCHREALTIME/./}; echo "${t}000"; }

# A guest run that fails counts, loudly, and keeps its time out of the medians.
failed=0
fail() { echo "FAIL: $*"; failed=$((failed + 1)); }
boot=() launch=()
for i in $(seq "$RUNS"); do
	t0=$(now_ns)
	o=$("$GRAFT" vm run $kvm --timeout 30 "$KIMG/hello.elf" -- --boot-time) ||
		{ fail "hello --boot-time: exit $?"; continue; }
	t1=$(now_ns)
	boot+=("$(echo "$o" | awk '/^boot-to-main-ns/ {print $2}')")
	launch+=($((t1 - t0)))
done
b=$(printf '%s\n' "${boot[@]}" | median)
l=$(printf '%s\n' "${launch[@]}" | median)
mode=${kvm:+KVM}; mode=${mode:-TCG}
printf '%-44s %9s ms  %s\n' "boot to main, guest TSC ($mode)" "$(ms "$b")" "target < 10 ms under KVM"
printf '%-44s %9s ms  %s\n' "QEMU launch to exit, hello ($mode)" "$(ms "$l")" "Unikraft cold start 276-1850 ms; target < 150 ms"
awk -v l="$l" 'BEGIN {printf "%-44s %9.2fx\n", "  Unikraft best cold start / ours", 276e6 / l}'

n=()
for i in $(seq "$RUNS"); do
	t0=$(now_ns)
	"$GRAFT" vm run $kvm --timeout 30 "$KIMG/none.elf" >/dev/null ||
		{ fail "none.elf: exit $?"; continue; }
	t1=$(now_ns)
	n+=($((t1 - t0)))
done
printf '%-44s %9s ms\n' "QEMU launch to exit, kernel alone ($mode)" "$(ms "$(printf '%s\n' "${n[@]}" | median)")"

lin=()
for i in $(seq "$RUNS"); do
	t0=$(now_ns)
	"$BUILD/apps/hello" >/dev/null
	t1=$(now_ns)
	lin+=($((t1 - t0)))
done
printf '%-44s %9s ms\n' "Linux platform: hello launch to exit" "$(ms "$(printf '%s\n' "${lin[@]}" | median)")"

for mem in 64 16; do
	o=$("$GRAFT" vm run $kvm --mem $mem --timeout 30 "$KIMG/ktest.elf" -- mem | tr -d "\r")
	used=$(echo "$o" | awk '/^mem-used/ {print $2}')
	[ -n "$used" ] || fail "ktest mem (--mem $mem) printed no mem-used line"
	heap=$(echo "$o" | awk '/^mem-heap/ {print $2}')
	printf '%-44s %9d KB  %s\n' "guest memory in use at idle (--mem $mem)" $(( ${used:-0} / 1024 )) "Unikraft guests 93-150 MB"
	[ "$mem" = 64 ] && printf '%-44s %9d KB\n' "  of which kernel heap" $(( ${heap:-0} / 1024 ))
done
if "$GRAFT" vm run $kvm --mem 16 --timeout 30 "$KIMG/hello.elf" | grep -q '^hello from graft'; then r=yes; else r=NO; fi
printf '%-44s %12s  %s\n' "hello runs in 16 MB of guest RAM" "$r" "target: yes"
[ "$failed" = 0 ] || { echo "kernel bench: $failed guest runs FAILED (see above)"; exit 1; }
