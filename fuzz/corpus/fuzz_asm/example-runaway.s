# runaway.s — a loop that never ends; the instruction budget stops it.
	mov %r0, 0
spin:
	add %r0, 1
	ja spin
