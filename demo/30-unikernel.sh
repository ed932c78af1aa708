#!/usr/bin/env bash
# demo/30-unikernel.sh — graft's own unikernel: a 64-bit PVH image with musl
# inside, booted by QEMU (TCG here; --kvm where KVM can run it).
set -u
cd "$(dirname "$0")/.."
B=${BUILD:-build}
GRAFT=$B/graft

if [ -t 1 ]; then bold=$'\033[1m' plain=$'\033[0m'; else bold='' plain=''; fi
say() { printf '\n%s== %s%s\n' "$bold" "$*" "$plain"; }

say "The unikernel: boot a hello application under QEMU"
KIMG=$B/kernel
. scripts/kvm.sh
echo "accelerator: $kvm_note"
printf 'image %s: %s bytes\n' "$B/kernel/hello.elf" "$(stat -c %s "$B/kernel/hello.elf")"
echo "\$ $GRAFT vm run $B/kernel/hello.elf --mem 16 $kvm -- from the demo"
start=$(date +%s%N)
"$GRAFT" vm run "$B/kernel/hello.elf" --mem 16 $kvm -- from the demo 2>&1
rc=$?
end=$(date +%s%N)
echo "guest exit code $rc; QEMU launch to exit $(( (end - start) / 1000000 )) ms in 16 MB of guest RAM"
exit "$rc"
