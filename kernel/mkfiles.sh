#!/bin/sh
# kernel/mkfiles.sh DIR — print an assembly file that embeds every file
# under DIR as a built-in file of the RAM fs (table in .graft_files; the
# path inside the guest is the path under DIR). No DIR: an empty table.
set -eu
dir=$1
echo '	.section .rodata.graft_files_data, "a"'
i=0
if [ -d "$dir" ]; then
	find "$dir" -type f | LC_ALL=C sort > "${TMPDIR:-/tmp}/mkfiles.$$"
	while IFS= read -r f; do
		rel=${f#"$dir"}
		case $rel in *'"'*|*'\'*) echo "mkfiles: bad file name: $f" >&2; exit 1;; esac
		echo "f${i}_path: .asciz \"$rel\""
		echo "	.p2align 4"
		echo "f${i}_data: .incbin \"$f\""
		echo "f${i}_end:"
		i=$((i + 1))
	done < "${TMPDIR:-/tmp}/mkfiles.$$"
	rm -f "${TMPDIR:-/tmp}/mkfiles.$$"
fi
echo '	.section .graft_files, "a"'
echo '	.p2align 3'
j=0
while [ $j -lt $i ]; do
	echo "	.quad f${j}_path, f${j}_data, f${j}_end - f${j}_data"
	j=$((j + 1))
done
