#!/usr/bin/env bash
# The verifier's evaluation corpus: the Linux BPF selftests' verifier_*.c
# programs from Debian's linux-source-6.12 (installed here when missing,
# extracted into the build tree, never committed), built with clang and
# run through graft's verifier and, where bpf() works, the kernel's.
#
# Prints: accepted of expected-success (and of kernel-accepted), rejected
# of expected-failure (and of the memory-safety ones), median and max
# verification time for graft and the kernel, objects that do not build
# with this clang (by reason) and programs needing features graft does not
# model (by reason). Environment: BUILD, VERIFY_CORPUS (a glob of sources
# inside progs/, default verifier_*.c), VERIFY_KERNEL=0 to skip the kernel,
# VERIFY_ONLY=1 to re-run only the verification on the objects built before
# (no package, extraction or clang step: seconds, for iterating).
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
RUNNER=$BUILD/bench/verify-runner
WORK=$BUILD/bench/verify-corpus
PKG=linux-source-6.12
TARBALL=/usr/src/$PKG.tar.xz
CORPUS=${VERIFY_CORPUS:-verifier_*.c}
CLANG=${CLANG:-clang}

[ -x "$RUNNER" ] || { echo "verify: $RUNNER not built (make bench-verify)"; exit 1; }

if [ "${VERIFY_ONLY:-0}" = 1 ]; then
	ls "$WORK"/obj/*.o >/dev/null 2>&1 ||
		{ echo "verify: no objects in $WORK/obj (run without VERIFY_ONLY first)"; exit 1; }
	kernel=--kernel
	if [ "${VERIFY_KERNEL:-1}" = 0 ] || ! bpftool prog list >/dev/null 2>&1; then
		kernel=
	fi
	echo "corpus: the objects built before ($(ls "$WORK"/obj/*.o | wc -l)), verification only"
	"$RUNNER" $kernel --tsv "$WORK/results.tsv" "$WORK"/obj/*.o
	echo
	echo "per-program results: $WORK/results.tsv"
	exit 0
fi

if [ ! -f "$TARBALL" ]; then
	echo "verify: installing $PKG (the selftest corpus; large, once)"
	sudo=
	[ "$(id -u)" -eq 0 ] || sudo=sudo
	export DEBIAN_FRONTEND=noninteractive
	$sudo apt-get install -y -q --no-install-recommends $PKG >/dev/null 2>&1 ||
		{ $sudo apt-get update -q >/dev/null &&
		  $sudo apt-get install -y -q --no-install-recommends $PKG >/dev/null; } ||
		{ echo "verify: cannot install $PKG; skipping the corpus"; exit 0; }
fi

SRC=$WORK/src/$PKG
PROGS=$SRC/tools/testing/selftests/bpf/progs
if [ ! -d "$PROGS" ]; then
	echo "verify: extracting the BPF selftests from $TARBALL"
	mkdir -p "$WORK/src"
	tar -xJf "$TARBALL" -C "$WORK/src" --wildcards \
		"$PKG/tools/testing/selftests/bpf/progs/*" \
		"$PKG/tools/testing/selftests/bpf/*.h" \
		"$PKG/tools/include/*" "$PKG/tools/lib/bpf/*" ||
		{ echo "verify: extraction failed"; exit 1; }
fi

INC=$WORK/include
mkdir -p "$INC" "$WORK/obj"
if [ ! -s "$INC/vmlinux.h" ] && [ -r /sys/kernel/btf/vmlinux ]; then
	bpftool btf dump file /sys/kernel/btf/vmlinux format c >"$INC/vmlinux.h" 2>/dev/null ||
		rm -f "$INC/vmlinux.h"
fi

# Build every source of the corpus; record why those that fail do.
: >"$WORK/build-fail.txt"
built=0 failed=0
for c in $PROGS/$CORPUS; do
	name=$(basename "$c" .c)
	o=$WORK/obj/$name.o
	if [ ! -f "$o" ] || [ "$c" -nt "$o" ]; then
		if ! $CLANG -g -O2 -target bpf -mcpu=v3 -D__TARGET_ARCH_x86 \
			-Wno-compare-distinct-pointer-types -Wno-unknown-attributes \
			-I"$INC" -I"$PROGS" -I"$PROGS/.." -I"$SRC/tools/include/uapi" \
			-I/usr/include/x86_64-linux-gnu \
			-c "$c" -o "$o" 2>"$WORK/obj/$name.err"; then
			rm -f "$o"
			why=$(grep -m1 'error:' "$WORK/obj/$name.err" |
				sed -e 's/.*error: //' -e "s/'[^']*'/'X'/g" -e 's/[0-9]\+/N/g' | cut -c1-70)
			echo "$name	${why:-unknown}" >>"$WORK/build-fail.txt"
			failed=$((failed + 1))
			continue
		fi
	fi
	built=$((built + 1))
done

kernel=--kernel
if [ "${VERIFY_KERNEL:-1}" = 0 ] || ! bpftool prog list >/dev/null 2>&1; then
	kernel=
	echo "verify: the kernel's verifier is not usable here (bpf() refused or VERIFY_KERNEL=0)"
fi

echo "corpus: $PKG $CORPUS — $built objects built with $($CLANG --version | head -1 | sed 's/ (.*//'), $failed did not build"
if [ "$failed" -gt 0 ]; then
	echo "objects that do not build, by reason:"
	cut -f2 "$WORK/build-fail.txt" | sort | uniq -c | sort -rn | sed 's/^/  /'
	echo "  ($(cut -f1 "$WORK/build-fail.txt" | tr '\n' ' '))"
fi
echo
"$RUNNER" $kernel --tsv "$WORK/results.tsv" "$WORK"/obj/*.o
echo
echo "per-program results: $WORK/results.tsv"
