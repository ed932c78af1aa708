# scripts/kvm.sh — sourced by the scripts that boot the unikernel: sets
# `kvm` to --kvm when KVM can actually run our guest, else to nothing
# (TCG), and `kvm_note` to one line saying why. A writable /dev/kvm is not
# enough: nested or paravirtual KVM (e.g. a host's PVM module) may refuse
# our guest's CPU model or stop it with an internal error, so a bare
# kernel image (none.elf) is booted once with --kvm first; it exits 0 in
# well under a second where KVM works.
# Needs GRAFT (the CLI) and KIMG (the folder of kernel images).
kvm= kvm_note="TCG: /dev/kvm is not usable here"
if [ -w /dev/kvm ]; then
	if out=$("$GRAFT" vm run --kvm --timeout 10 "$KIMG/none.elf" 2>&1); then
		kvm=--kvm kvm_note="KVM"
	else
		kvm_note="TCG: /dev/kvm is there, but KVM cannot run the guest ($(
			printf '%s\n' "$out" | grep -m1 -iE 'error|fail|kvm|stopped' |
				cut -c1-120))"
	fi
fi
