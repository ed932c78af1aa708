#!/bin/sh
# Install the Debian packages graft needs, when missing; a no-op otherwise.
# The lists live in scripts/deps.d/*.txt, one file per area, one package per
# line ('#' starts a comment).
set -eu
here=$(dirname "$0")
want=$(sed 's/#.*//' "$here"/deps.d/*.txt | tr -s ' \t\n' '\n' | sort -u)
missing=
for p in $want; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "deps: installing:$missing"
sudo=
[ "$(id -u)" -eq 0 ] || sudo=sudo
export DEBIAN_FRONTEND=noninteractive
# Try with the package lists as they are; refresh them once if that fails.
if ! $sudo apt-get install -y -q --no-install-recommends $missing >/dev/null 2>&1; then
	$sudo apt-get update -q >/dev/null
	$sudo apt-get install -y -q --no-install-recommends $missing
fi
